"""Fuzzing: the API from its own OpenAPI document, the web chat forms and the feed pushes."""
