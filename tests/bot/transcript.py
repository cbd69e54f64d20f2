"""Plays a transcript file (typed lines in, reply keys and texts out) against the real runner."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from backend.db.database import Database
from backend.db.models import ApplicationRow, ConversationSessionRow, DocumentRow, EscalationRow
from bot.outbound import Outbound
from bot.runner import Conversations
from bot.terminal import TerminalChat
from tests.fakes.clock import FakeClock

HERE = Path(__file__).resolve().parent.parent / "transcripts"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
_DURATION = re.compile(r"^(\d+)([smhd])$")
# The engine names no command: each channel gives its own way (buttons, a menu, a line of commands).
_SLASH_HINT = re.compile(r"/(?:help|human|status|start|back|cancel|restart|language)\b")
# Nor does it point at Telegram's share-phone button, which the terminal does not have.
_TELEGRAM_ONLY = ("分享手机号", "发送我的手机号", "share my number", "Share my phone number")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def duration(text: str) -> timedelta:
    match = _DURATION.match(str(text))
    assert match, f"bad duration {text!r}"
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@dataclass
class Player:
    """One transcript in one locale."""

    script: dict[str, Any]
    locale: str
    database_url: str
    database: Database
    make_conversations: Callable[[Database], Conversations]
    clock: FakeClock
    restart_every_turn: bool = False
    inputs: int = 0
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.conversations = self.make_conversations(self.database)
        self.chats: dict[str, TerminalChat] = {}
        self.extra_databases: list[Database] = []

    def chat(self, user: str | None = None) -> TerminalChat:
        user = user or self.script.get("user", "resident")
        if user not in self.chats:
            hint = self.locale if self.script.get("hint", True) else None
            self.chats[user] = TerminalChat(self.conversations, user=user, locale=hint, out=io.StringIO())
        return self.chats[user]

    async def restart(self) -> None:
        """A new process: new database connection and engine; the resident's screen stays."""
        database = Database(self.database_url)
        await database.connect()
        self.extra_databases.append(database)
        self.conversations = self.make_conversations(database)
        for chat in self.chats.values():
            chat.conversations = self.conversations

    async def close(self) -> None:
        for database in self.extra_databases:
            await database.dispose()

    async def play(self) -> None:
        try:
            chat = self.chat()
            self.check("open", await self._open(chat), self.script.get("open", {}))
            for number, step in enumerate(self.script["steps"], 1):
                await self.step(number, step)
        finally:
            await self.close()
        limit = self.script.get("max_turns")
        if limit is not None:
            # The opening counts: on Telegram the resident types /start.
            assert self.inputs + 1 <= limit, f"{self.inputs + 1} resident turns, more than {limit}"

    async def _open(self, chat: TerminalChat) -> list[Outbound]:
        return await chat.open()

    async def step(self, number: int, step: dict[str, Any]) -> None:
        where = f"step {number} {step}"
        if self.restart_every_turn or step.get("restart"):
            await self.restart()
        if "clock" in step:
            self.clock.advance(duration(step["clock"]))
        replies: list[Outbound] = []
        if "in" in step:
            self.inputs += 1
            replies = await self.chat(step.get("user")).send(str(step["in"]))
        elif "file" in step:
            self.inputs += 1
            replies = await self.chat(step.get("user")).send(f"/file {FIXTURES / step['file']}")
        elif "tick" in step:
            sent = await self.conversations.tick()
            replies = [r for _, rs in sent for r in rs]
        elif "open" in step:
            replies = await self._open(self.chat(step.get("user")))
        self.check(where, replies, step)
        if "db" in step:
            await self.check_db(where, step["db"])

    def check(self, where: str, replies: list[Outbound], expect: dict[str, Any] | list[str]) -> None:
        if isinstance(expect, list):
            expect = {"out": expect}
        keys = [r.key for r in replies]
        # What the resident sees: each message and its buttons.
        text = "\n".join("\n".join([r.text, *(b.label for b in r.buttons)]) for r in replies)
        self.log.append(f"{where}\n{text}")
        if "out" in expect:
            assert keys == expect["out"], f"{where}: got {keys}"
        for reply in replies:
            # Notifications are the office's words, not the engine's (and /xyz echoes the resident).
            if not reply.key.startswith("notice.") and reply.key != "command.unknown":
                assert not _SLASH_HINT.search(reply.text), f"{where}: a slash command in {reply.key}: {reply.text}"
                assert not any(h in reply.text for h in _TELEGRAM_ONLY), f"{where}: a Telegram hint in {reply.key}"
        for key in expect.get("has", []):
            assert key in keys, f"{where}: {key} not in {keys}"
        wanted = expect.get("text", [])
        if isinstance(wanted, dict):
            wanted = wanted.get(self.locale, [])
        for fragment in wanted:
            assert fragment in text, f"{where}: {fragment!r} not in:\n{text}"
        for fragment in expect.get("not_text", []):
            assert fragment not in text, f"{where}: {fragment!r} should not be in:\n{text}"

    async def check_db(self, where: str, expect: dict[str, Any]) -> None:
        async with self.database.engine.connect() as connection:
            counts = {
                "applications": ApplicationRow,
                "escalations": EscalationRow,
                "documents": DocumentRow,
            }
            for name, row in counts.items():
                if name in expect:
                    n = await connection.scalar(select(func.count()).select_from(row))
                    assert n == expect[name], f"{where}: {n} {name}, expected {expect[name]}"
            if "state" in expect:
                states = (await connection.execute(select(ConversationSessionRow.state))).scalars().all()
                assert expect["state"] in states, f"{where}: session states {states}"
            for column in ("status", "layer", "emergency", "resilience_level"):
                if column in expect:
                    value = await connection.scalar(select(getattr(ApplicationRow, column)))
                    assert value == expect[column], f"{where}: {column} {value}, expected {expect[column]}"

