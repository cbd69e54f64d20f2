"""The terminal channel: the resident conversation in a terminal, or scripted through stdin.

Choices are numbered (type the number or the text of the option); where typed text is an
answer, shortcuts are lettered instead so that "1" stays one yuan, not the first button. Only
the last message's buttons are numbered: a notification's buttons shown above a question (a
volunteer's ping, a rating) are typed by their words ("接受", "★★★★★").
"""

from __future__ import annotations

import asyncio
import mimetypes
import shlex
import sys
from collections.abc import AsyncIterator, Iterable
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import TextIO

from backend.documents import DocumentRefused
from bot import callbacks
from bot.outbound import Button, Outbound, from_a_notification
from bot.runner import Conversations, DocumentTooLarge
from bot.volunteer_home import HOME_KEY
from flows import events as ev

CHANNEL = "terminal"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
# The terminal's own help: the engine's words name no command, so a line lists them under the
# welcome and under the help.
COMMANDS_LINE = "channel.terminal.commands"


@dataclass(eq=False)
class TerminalChat:
    """One simulated resident (``user``) talking to Yimen through text lines."""

    conversations: Conversations
    _: KW_ONLY
    user: str = "local"
    locale: str | None = None
    out: TextIO = sys.stdout
    echo: bool = False
    buttons: tuple[Button, ...] = field(default=(), init=False)
    lettered: bool = field(default=False, init=False)
    # Buttons of notifications shown above the numbered ones: answered by their words.
    worded: tuple[Button, ...] = field(default=(), init=False)

    def event_for(self, line: str) -> ev.Event:
        """What a typed line means, given the buttons of the last message."""
        text = line.strip()
        if text.startswith("/"):
            name, _, arg = text[1:].partition(" ")
            return ev.Command(name.lower(), arg.strip())
        if self.buttons:
            key = text.lower()
            if self.lettered and len(key) == 1 and key in LETTERS[: len(self.buttons)]:
                return ev.Choice(self.buttons[LETTERS.index(key)].value)
            if not self.lettered and key.isdigit() and 1 <= int(key) <= len(self.buttons):
                return ev.Choice(self.buttons[int(key) - 1].value)
        for button in (*self.buttons, *self.worded):
            if button.label.lower() == text.lower():
                return ev.Choice(button.value)
        return ev.Text(line.strip())

    async def send(self, line: str) -> list[Outbound]:
        """Handle one typed line and print the replies."""
        if self.echo:
            print(f"> {line}", file=self.out)
        if line.strip().lower().startswith("/file"):
            replies = await self._upload(line.strip()[5:].strip())
        else:
            replies = await self.conversations.handle(
                CHANNEL, self.user, self.event_for(line), locale_hint=self.locale
            )
        self.show(replies)
        return replies

    async def _upload(self, raw_path: str) -> list[Outbound]:
        parts = shlex.split(raw_path) if raw_path else []
        path = Path(parts[0]).expanduser() if parts else None
        if path is None or not path.is_file():
            return self.conversations.render_key("documents.not_found", {"path": raw_path}, self.locale)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        try:
            return await self.conversations.upload(
                CHANNEL, self.user, path.name, mime, path.read_bytes(), locale_hint=self.locale
            )
        except DocumentTooLarge:
            return self.conversations.too_large(self.locale)
        except DocumentRefused as refused:
            locale = await self.conversations.locale_of(CHANNEL, self.user, self.locale)
            return self.conversations.render_key(refused.key, {}, locale)

    def show(self, replies: list[Outbound]) -> None:
        numbered = max((i for i, r in enumerate(replies) if r.buttons), default=-1)
        if numbered >= 0 and self._question_keeps_numbers(replies[numbered]):
            numbered = len(replies)  # every button of these replies is typed by its words
        if replies:
            self.worded = ()
        for at, reply in enumerate(replies):
            print(reply.text, file=self.out)
            if reply.key == "command.help" or reply.key.endswith(".welcome"):
                locale = reply.locale or self.conversations.default_locale
                print(self.conversations.translations(locale).render(COMMANDS_LINE), file=self.out)
            if reply.buttons and at < numbered:
                # Not the last: its buttons are typed by their words, the numbers being the last's.
                self.worded += reply.buttons
                print("  " + "  ".join(f"[{b.label}]" for b in reply.buttons), file=self.out)
            elif reply.buttons:
                self.buttons, self.lettered = reply.buttons, reply.free_text
                for i, button in enumerate(reply.buttons):
                    mark = LETTERS[i] if reply.free_text else str(i + 1)
                    tick = "✓ " if button.selected else ""
                    print(f"  {mark}. {tick}{button.label}", file=self.out)
            elif reply.free_text or reply.key.endswith(".prompt"):
                self.buttons = ()
            print(file=self.out)
        self.out.flush()

    def _question_keeps_numbers(self, reply: Outbound) -> bool:
        """A notification's buttons answered on the side (a ping, a check-in) leave the numbers to
        the question the resident is at; a volunteer's home takes them, being where they are."""
        pending = any(not callbacks.is_action(b.value) for b in self.buttons)
        return pending and from_a_notification(reply) and reply.key != HOME_KEY

    async def open(self) -> list[Outbound]:
        """Greet a new resident, or show a returning one where they left off."""
        replies = await self.conversations.handle(CHANNEL, self.user, ev.Command("start"), locale_hint=self.locale)
        self.show(replies)
        return replies

    async def run(self, lines: AsyncIterator[str] | Iterable[str]) -> None:
        """Open the conversation, then one turn per non-empty line until the input ends."""
        await self.open()
        if isinstance(lines, Iterable):
            for line in lines:
                if line.strip():
                    await self.send(line.rstrip("\n"))
            return
        async for line in lines:
            if line.strip():
                await self.send(line.rstrip("\n"))


async def interactive_lines(prompt: str = "> ") -> AsyncIterator[str]:
    """Lines typed at a terminal, until end of input (Ctrl-D) or Ctrl-C."""
    while True:
        try:
            yield await asyncio.to_thread(input, prompt)
        except (EOFError, KeyboardInterrupt):
            return
