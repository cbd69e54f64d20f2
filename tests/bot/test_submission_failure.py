"""A submission that fails answers the resident, keeps every answer and logs no personal data.

The resident of the first test is the one an outside probe found refused: 杭州上城区, born
1981, whose area code (330102, from 1983) is younger than she is.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import unused_port
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.api.client import ApiClient
from backend.application import ApplicationV1
from backend.crypto import IdHasher
from backend.db.models import ApplicationRow
from backend.intake import Intake
from bot.app import build_conversations
from bot.remote_intake import RemoteIntake
from bot.runner import Conversations
from bot.terminal import TerminalChat
from locales import Translations

SHANGCHENG_1981 = "330102198103150214"
# Typed as a resident types it; the digits must appear nowhere, spaced or not.
TYPED = "330102 19810315 0214"

TO_THE_SUMMARY = (
    "1",  # I agree, applying for myself
    "王芳",
    TYPED,
    "13800138000",
    "1",  # 明湖区 · 湖滨街道
    "4",  # no urgent need
    "1",  # a household of one
    "1",  # healthy
    "3",  # unemployed
    "a",  # no income
    "5",  # no other income
    "两千",
    "1",  # no vehicle, no home
    "0",
    "0",
    "1",  # own home
    "失业以后没有收入。",
)


async def to_the_summary(chat: TerminalChat) -> None:
    await chat.open()
    for line in TO_THE_SUMMARY:
        replies = await chat.send(line)
    assert replies[-1].key == "intake.summary"


async def applications(database) -> int:
    async with database.engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(ApplicationRow))


async def stored_session(database, channel: str, external_id: str) -> dict[str, Any]:
    async with database.unit_of_work() as uow:
        resident = await uow.residents.find(channel, external_id)
        assert resident is not None
        stored = await uow.sessions.load(resident.id, "intake")
    assert stored is not None
    return stored


def leaks(text: str) -> bool:
    return any(part in text for part in (SHANGCHENG_1981, SHANGCHENG_1981[:17], TYPED, "19810315"))


# ---------------------------------------------------------------- the probe's resident


async def test_a_resident_born_before_her_area_code_submits(database, make_conversations) -> None:
    chat = TerminalChat(make_conversations(database), user="wang", locale="zh_CN", out=io.StringIO())
    await to_the_summary(chat)
    replies = await chat.send("1")  # submit
    assert [r.key for r in replies] == ["intake.receipt"]
    assert await applications(database) == 1


# ---------------------------------------------------------------- failing submissions


class RefusedByTheContract:
    """The contract refuses what the flow built (as when the two disagreed on ID numbers): the
    refusal names a field whose value is the ID number."""

    async def find_open(self, uow, id_numbers):
        return None

    async def submit(self, uow, payload, *, resident_id, document_ids, now):
        applicant = {**payload["applicant"], "mobile": payload["applicant"]["id_number"]}
        ApplicationV1.model_validate({**payload, "applicant": applicant}, context={"today": now.date()})
        raise AssertionError("the contract took a mobile number of 18 digits")


class DatabaseFails:
    """The database refuses the row; a driver's error quotes the statement's parameters."""

    async def find_open(self, uow, id_numbers):
        return None

    async def submit(self, uow, payload, *, resident_id, document_ids, now):
        await uow.residents.get(resident_id)  # the turn's transaction is in use when it fails
        raise IntegrityError("INSERT INTO applications (payload) VALUES (?)", (json.dumps(payload),),
                             Exception(f"duplicate key {payload['applicant']['id_number']}"))


@pytest.fixture(params=["contract", "database", "api_down"])
async def failing_intake(request, config) -> AsyncIterator[Intake]:
    if request.param != "api_down":
        yield {"contract": RefusedByTheContract, "database": DatabaseFails}[request.param]()
        return
    # Split mode with the API not listening: every attempt is refused at once.
    client = ApiClient(f"http://127.0.0.1:{unused_port()}", "token", attempts=2, backoff=0.01)
    await client.start()
    try:
        yield RemoteIntake(client, IdHasher(config.secret_key))
    finally:
        await client.close()


@pytest.fixture
def with_intake(config, clock, translations) -> Callable[[Any, Intake | None], Conversations]:
    def make(database, intake: Intake | None = None) -> Conversations:
        return build_conversations(config, database, clock=clock, translations=translations, intake=intake)

    return make


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_a_failed_submission_is_answered_and_every_answer_kept(
    database, with_intake, failing_intake, locale, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    out = io.StringIO()
    chat = TerminalChat(with_intake(database, failing_intake), user="wang", locale=locale, out=out)
    await to_the_summary(chat)
    printed = len(out.getvalue())

    replies = await chat.send("1")  # submit: fails, and the terminal carries on

    assert [r.key for r in replies] == ["submission.failed"]
    messages = Translations()(locale)
    assert replies[0].text == messages.render("submission.failed")
    assert [b.label for b in replies[0].buttons] == [messages.render("submission.retry"),
                                                     messages.render("summary.change")]
    assert out.getvalue()[printed:].startswith(replies[0].text)
    data = await stored_session(database, "terminal", "wang")
    assert data["state"] == "summary" and data["answers"]["id_number"] == SHANGCHENG_1981
    assert data["answers"]["name"] == "王芳" and len(data["members"]) == 1
    assert await applications(database) == 0
    failures = [r for r in caplog.records if r.getMessage().startswith("submission failed")]
    assert len(failures) == 1 and failures[0].levelno == logging.ERROR

    # Tried again once the service is back: the kept answers go in as they were.
    chat.conversations = with_intake(database)
    replies = await chat.send("1")  # "Try again"
    assert [r.key for r in replies] == ["intake.receipt"]
    assert await applications(database) == 1

    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in caplog.records:
        assert not leaks(formatter.format(record)), record.getMessage()
    assert not leaks(out.getvalue()[printed:])


async def test_a_failed_submission_can_be_changed_before_trying_again(database, with_intake) -> None:
    chat = TerminalChat(with_intake(database, DatabaseFails()), user="li", locale="en", out=io.StringIO())
    await to_the_summary(chat)
    await chat.send("1")
    replies = await chat.send("2")  # change an answer
    assert replies[-1].key == "edit.menu"


# ---------------------------------------------------------------- on Telegram


async def test_on_telegram_a_failed_submission_answers_the_button_and_the_resident(
    emulator, database, config, clock, caplog
) -> None:
    from bot.telegram.service import TelegramBot, TelegramSettings
    from tests.bot.conftest import fast
    from tests.bot.telegram_driver import HAPPY_PATH, Tap, act, session_state, settled

    conversations = build_conversations(config, database, clock=clock, translations=Translations(),
                                        html_translations=Translations(html=True), intake=DatabaseFails())
    bot = TelegramBot(conversations, fast(TelegramSettings(token=emulator.token, api_base_url=emulator.url,
                                                           poll_timeout=1)))
    await bot.start()
    try:
        user = emulator.user(5005, language_code="en")
        typed = [a if a != "110105198001010016" else TYPED for a in HAPPY_PATH[:-1]]
        for action in typed:
            await act(emulator, database, user, action)
        assert await session_state(database, user) == "summary"
        caplog.clear()
        caplog.set_level(logging.DEBUG)
        before = len(user.sent())
        summary = [m for m in user.sent() if m.buttons][-1]
        await user.press(summary, summary.buttons[0]["callback_data"])  # submit
        await settled(database, user, emulator.last_update_id, timeout=20)
    finally:
        await bot.stop()
    # The button stopped spinning, the pressed summary shows the choice, and the resident was answered.
    assert all(a.get("callback_query_id") for a in user.callback_answers())
    assert len(user.callback_answers()) == sum(isinstance(a, Tap) for a in HAPPY_PATH)
    assert summary.edits and not summary.buttons
    answer = user.sent()[before:]
    messages = Translations()("en")
    assert [m.plain_text for m in answer] == [messages.render("submission.failed")]
    assert [b["text"] for b in answer[0].buttons] == [messages.render("submission.retry"),
                                                      messages.render("summary.change")]
    assert await session_state(database, user) == "summary" and await applications(database) == 0
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in caplog.records:
        if not record.name.startswith("tests."):  # the emulator stands for Telegram's servers
            assert not leaks(formatter.format(record)), record.getMessage()


# ---------------------------------------------------------------- yimen chat


def test_yimen_chat_answers_a_failed_submission_and_carries_on(tmp_path) -> None:
    """The real command over a database that refuses the application row (a trigger): no
    traceback, no exit, the resident told, and the number on neither output."""
    import os
    import sqlite3
    import subprocess
    import sys

    database = tmp_path / "yimen.sqlite3"
    env = {**os.environ, "YIMEN_DATABASE_URL": f"sqlite+aiosqlite:///{database}", "YIMEN_DATA_DIR": str(tmp_path),
           "YIMEN_SECRET_KEY": "k" * 32, "PYTHONPATH": os.getcwd()}

    def chat(user: str, lines: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", "chat", "--lang", "en", "--user", user],
                              input="".join(f"{line}\n" for line in lines), capture_output=True, text=True,
                              env=env, timeout=120)

    assert chat("first", []).returncode == 0  # the embedded database is created and migrated
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TRIGGER refuse BEFORE INSERT ON applications "
                           "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    done = chat("wang", [*TO_THE_SUMMARY, "1", "/help"])
    assert done.returncode == 0, done.stderr
    messages = Translations()("en")
    after = done.stdout[done.stdout.index("> 1\n", done.stdout.index(messages.render("summary.confirm"))):]
    assert messages.render("submission.failed").splitlines()[0] in after
    assert "> /help" in after  # the chat went on after the failure
    assert "Traceback" not in done.stderr and "submission failed" in done.stderr
    assert not leaks(after) and not leaks(done.stderr)
