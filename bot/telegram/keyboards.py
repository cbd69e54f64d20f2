"""The resident's own buttons on Telegram: a reply keyboard under the input field, whose labels
are understood as the commands they stand for, in either language."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from telegram import KeyboardButton, ReplyKeyboardMarkup

from flows import events as ev
from locales import Messages

# The commands the resident's buttons give, two to a row: see where one is, ask for a person,
# go back a question, start again.
BUTTON_COMMANDS: tuple[tuple[str, ...], ...] = (("status", "human"), ("back", "restart"))


def label_key(command: str) -> str:
    """Where a button's label is in the catalog."""
    return f"channel.button.{command}"


def command_keyboard(messages: Messages) -> ReplyKeyboardMarkup:
    """The resident's buttons in one language; they stay until another reply keyboard replaces them."""
    rows = [[KeyboardButton(messages.render(label_key(c))) for c in row] for row in BUTTON_COMMANDS]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def contact_keyboard(label: str) -> ReplyKeyboardMarkup:
    """The share-phone button alone (the resident's buttons come back with a later reply)."""
    return ReplyKeyboardMarkup([[KeyboardButton(label, request_contact=True)]], one_time_keyboard=True,
                               resize_keyboard=True)


class ButtonCommands:
    """What a tap on one of the resident's buttons means: its label, typed back, as a command.

    Args:
        translations: the catalogs of each language.
        locales: the languages whose labels are understood (all of them, whatever the resident's:
            a resident who switched language may still have the other language's buttons).
    """

    def __init__(self, translations: Callable[[str], Messages], locales: Iterable[str]) -> None:
        self._commands = {
            _folded(translations(locale).render(label_key(command))): command
            for locale in locales
            for row in BUTTON_COMMANDS
            for command in row
        }

    def __call__(self, event: ev.Event) -> ev.Event:
        """The command a button's label stands for, or the event as it was."""
        if isinstance(event, ev.Text):
            command = self._commands.get(_folded(event.text))
            if command is not None:
                return ev.Command(command)
        return event


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()
