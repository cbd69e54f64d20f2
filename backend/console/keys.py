"""Typed keys of what the console's application and its requests hold."""

from __future__ import annotations

import jinja2
from aiohttp import web

from backend.store.console import ConsoleSession, Desk
from locales import Messages

TEMPLATES = web.AppKey("console_templates", jinja2.Environment)
# The bot's escalation desk, when the composition root wires one (absent: tickets are read-only here).
DESK = web.AppKey("console_desk", Desk)
# The intake flow's steps in order, then "summary" and "submitted": the funnel's rows.
FUNNEL_STEPS = web.AppKey("console_funnel_steps", tuple)
REVIEW_DAYS = web.AppKey("console_review_days", int)

# The signed-in session (with its user and CSRF token) and the request's language.
SESSION = web.RequestKey("console_session", ConsoleSession)
MESSAGES = web.RequestKey("console_messages", Messages)
