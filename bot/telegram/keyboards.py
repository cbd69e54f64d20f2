"""The resident's own buttons on Telegram: a reply keyboard under the input field, whose labels
are understood as the commands they stand for (``bot.button_commands``)."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup

from bot.button_commands import BUTTON_COMMANDS, label_key
from locales import Messages


def command_keyboard(messages: Messages) -> ReplyKeyboardMarkup:
    """The resident's buttons in one language; they stay until another reply keyboard replaces them."""
    rows = [[KeyboardButton(messages.render(label_key(c))) for c in row] for row in BUTTON_COMMANDS]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def contact_keyboard(label: str) -> ReplyKeyboardMarkup:
    """The share-phone button alone (the resident's buttons come back with a later reply)."""
    return ReplyKeyboardMarkup([[KeyboardButton(label, request_contact=True)]], one_time_keyboard=True,
                               resize_keyboard=True)
