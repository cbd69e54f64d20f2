"""Which message's options a typed number picks: the live prompt's, or a notification's whose
options stay valid on their own message, however many messages without options followed it
within the look back (read in two steps: the newest few first)."""

from __future__ import annotations

import pytest

from backend.buttons import AnswerOffer
from bot import callbacks
from tests.cases.helpers import NOW

OFFER = {"key": "notice.offer", "text": "新的机会",
         "buttons": [[callbacks.encode(AnswerOffer(12, True)), "接受", False]]}
QUESTION = {"key": "intake.ask", "text": "请选择", "buttons": [["yes", "是", False]]}
PLAIN = {"key": "intake.note", "text": "好的", "buttons": []}


async def _shown(channel, database, openid: str):
    async with database.unit_of_work() as uow:
        return await channel._options_shown(uow, openid, await uow.outbox.live_prompt("wechat", openid))


async def _queue(database, openid: str, payloads: list[dict[str, object]]) -> list[int]:
    async with database.unit_of_work() as uow:
        ids = [await uow.outbox.add(resident_id=None, channel="wechat", address=openid, kind="message",
                                    payload=payload, at=NOW) for payload in payloads]
        await uow.commit()
    return ids


@pytest.mark.parametrize("after", [0, 5, 6, 7, 19])
async def test_a_notifications_options_answer_with_plain_messages_after_it(channel, database, after):
    openid = f"o_offer_{after}"
    _, offer, *_ = await _queue(database, openid, [QUESTION, OFFER] + [PLAIN] * after)
    shown = await _shown(channel, database, openid)
    assert shown is not None and shown.id == offer


async def test_options_further_back_than_the_look_answer_nothing(channel, database):
    await _queue(database, "o_far", [OFFER] + [PLAIN] * 20)
    assert await _shown(channel, database, "o_far") is None


@pytest.mark.parametrize("after", [0, 7])
async def test_a_questions_options_answer_only_while_it_is_the_live_prompt(channel, database, after):
    await _queue(database, f"o_q_{after}", [OFFER, QUESTION] + [PLAIN] * after)
    assert await _shown(channel, database, f"o_q_{after}") is None
