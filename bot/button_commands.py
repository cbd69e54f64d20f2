"""The resident's own buttons (查看进度, 找工作人员, 上一题, 重新开始), whose labels, typed or
tapped, are understood as the commands they stand for, in either language, on every channel:
Telegram's reply keyboard sends the label as text, and on WeChat a resident types what the menu
and the hints call them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flows import events as ev
from locales import Messages

# The commands the resident's buttons give, two to a row: see where one is, ask for a person,
# go back a question, start again.
BUTTON_COMMANDS: tuple[tuple[str, ...], ...] = (("status", "human"), ("back", "restart"))


def label_key(command: str) -> str:
    """Where a button's label is in the catalog."""
    return f"channel.button.{command}"


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
