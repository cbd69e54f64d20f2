"""Monitoring (监测预警): the registry of the monitored population, department data matched
against it, and the alerts raised when a household's situation worsens."""
