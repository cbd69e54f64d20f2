"""Sensitive data stays out of logs and replies, and nothing is kept without consent."""

from __future__ import annotations

import logging

from bot.terminal import TerminalChat
from tests.bot.transcript import HERE, Player, load
from tests.flows.helpers import APPLICANT_ID


async def test_id_numbers_never_reach_the_logs(caplog, database, database_url, make_conversations, clock):
    caplog.set_level(logging.DEBUG)
    player = Player(load(HERE / "happy_path_self.yaml"), "en", database_url, database, make_conversations, clock)
    await player.play()
    assert caplog.records, "the runner logs each turn"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert APPLICANT_ID not in logged
    assert "110105198103050027" not in logged


async def test_the_summary_shows_id_numbers_masked(conversations):
    chat = TerminalChat(conversations, user="p", locale="en")
    await chat.open()
    for line in ("1", "张三", APPLICANT_ID):
        replies = await chat.send(line)
    assert all(APPLICANT_ID not in r.text for r in replies)


def test_an_outreach_prefill_prints_no_personal_data():
    from backend.monitoring.outreach import Prefill

    prefill = Prefill(household={"members": [{"monthly_income": "800"}]}, name="张三", id_number=APPLICANT_ID,
                      office="hubin", district="minghu", member_ids=(APPLICANT_ID,))
    shown = repr(prefill)
    assert APPLICANT_ID not in shown and "张三" not in shown and "800" not in shown
    assert "hubin" in shown
