"""The staff console: server-rendered pages for caseworkers, supervisors and administrators."""
