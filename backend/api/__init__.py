"""The HTTP API (``/api/v1``): applications, case actions, notes, history and assessments."""
