"""A reply rendered for a resident, ready for a channel to present, as the outbox stores it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from backend.buttons import ListOffers
from backend.cases.notices import notice_key, render_notice
from backend.cases.ports import Notification
from bot import callbacks
from locales import Messages

# What a channel that keeps reply keyboards (bot/channels.py) shows under the input field, as the
# payload's "reply_keyboard" says: the share-phone button while the phone question is live, else the
# resident's own buttons (查看进度, 找工作人员 …).
CONTACT_KEYBOARD = "contact"
COMMANDS_KEYBOARD = "commands"


@dataclass(frozen=True, slots=True)
class Button:
    value: str
    label: str
    selected: bool = False


@dataclass(frozen=True, slots=True)
class Outbound:
    """A reply rendered for the resident, ready for a channel to present."""

    key: str
    text: str
    buttons: tuple[Button, ...] = ()
    request_contact: bool = False
    free_text: bool = False
    html: bool = False
    contact_label: str = ""
    # The language it is written in: a channel adds its own buttons in the same language.
    locale: str = ""
    # The text as it may be stored, when ``text`` shows the resident something private in clear
    # (the digits of an ID number they typed): the private part masked (flows/private.py).
    stored_text: str | None = None

    def to_payload(self) -> dict[str, object]:
        """As stored in the outbox (never a private value in clear)."""
        return {
            "key": self.key,
            "text": self.text if self.stored_text is None else self.stored_text,
            "html": self.html,
            "buttons": [[b.value, b.label, b.selected] for b in self.buttons],
            "request_contact": self.request_contact,
            "free_text": self.free_text,
            "contact_label": self.contact_label,
            "locale": self.locale,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Outbound:
        return cls(
            payload["key"],
            payload["text"],
            tuple(Button(v, label, bool(sel)) for v, label, sel in payload.get("buttons", ())),
            bool(payload.get("request_contact")),
            bool(payload.get("free_text")),
            bool(payload.get("html")),
            payload.get("contact_label", ""),
            payload.get("locale", ""),
        )


def notice_outbound(notice: Notification, messages: Messages, labels: Messages, *, html: bool) -> Outbound:
    """A notification rendered with ``messages``, its buttons' actions encoded for the chat and
    labelled with ``labels``."""
    actions = callbacks.notification_buttons(notice.params)
    buttons = tuple(Button(value, labels.render(label)) for value, label in actions)
    return Outbound(key=notice_key(notice.kind), text=render_notice(notice, messages), buttons=buttons, html=html)


def with_offers_button(reply: Outbound, labels: Messages) -> Outbound:
    """The reply with a button that lists the resident's open offers (under a status update)."""
    return replace(reply, buttons=(*reply.buttons, Button(callbacks.encode(ListOffers()),
                                                          labels.render("offers.list_button"))))


def from_a_notification(reply: Outbound) -> bool:
    """Whether the reply's buttons are a notification's (they stay valid on their own message)."""
    return any(callbacks.is_action(b.value) for b in reply.buttons)
