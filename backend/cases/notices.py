"""A notification as the sentence the resident reads, in their language.

Notifications are stored as a kind and parameters when the case moves; they are rendered only
when delivered, so the resident reads them in the language they use by then.
"""

from __future__ import annotations

from backend.cases.ports import Notification
from locales import Messages


def notice_key(kind: str) -> str:
    return f"notice.{kind}"


def render_notice(notification: Notification, messages: Messages) -> str:
    """Raises MissingMessage for a kind without a message (every case status has one)."""
    return messages.render(notice_key(notification.kind), number=notification.application_number,
                           **notification.params)
