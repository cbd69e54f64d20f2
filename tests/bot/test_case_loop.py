"""The case loop closed, in each locale, as the resident and two caseworkers live it: the office asks
a question, the resident reads it and answers with text and a photo, the caseworker sees both on the
thread, proposes, the checker returns the proposal with a reason, the caseworker proposes again,
the checker approves, and the resident reads a decision that answers their next question. And a
rejection, whose reasons the resident reads in their own language and never the internal note."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from backend.cases.lifecycle import CaseAction, CaseStatus
from backend.cases.service import ActionRequest
from backend.cases.thread import EntryKind
from flows import events as ev
from tests.bot import casework
from tests.bot.casework import START_REVIEW, dispatched, request_info
from tests.bot.test_volunteer_chat import CHANNEL, button, say
from tests.cases.helpers import NOW, add_staff

INTERNAL = "金额计算有误，应重新核算"
QUESTION = {"zh_CN": "请补充最近三个月的医院收费单据", "en": "Please send the hospital bills of the last three months"}
ANSWER = {"zh_CN": "单据已拍照上传，三个月共花了三千二百元",
          "en": "The bills are attached; we paid 3,200 yuan in three months"}
# What the resident reads, per locale: the question's button, and the decision's parts.
READS = {
    "zh_CN": {"reply": "立即回复",
              "approved": ("已获批准，纳入最低生活保障（低保）", "每月 ¥2,000.00", "发放方式", "每月10日发放",
                           "日内告知我们", "下次复核时间为", "前向")},
    "en": {"reply": "Reply now",
           "approved": ("has been approved: minimum living allowance (低保)", "CN¥2,000.00 a month, from",
                        "Payment:", "on day 10 of each month", "Please tell us within", "Your next review is due in",
                        "If you disagree with this decision, you can")},
}


async def _act(conversations, database, username: str, number: str, request: ActionRequest, at):
    async with database.unit_of_work() as uow:
        user = await uow.users.get(username)
        case = await conversations.services.backend.cases.act(uow, user, number, request, now=at)
        await uow.commit()
    return case


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_question_answer_return_and_approval_in_the_residents_language(conversations, database, clock, locale):
    wang = await add_staff(database, "wang", display_name="王芳", telegram_id="9001")
    await add_staff(database, "li", display_name="李明")
    resident_id, number = await casework.applied(conversations, database, CHANNEL, "household", locale=locale)
    await casework.acted(conversations, database, clock, wang, number, START_REVIEW, request_info(QUESTION[locale]))

    # The resident reads the office's question when next writing, and answers it with text and a photo.
    shown = await say(conversations, "household", "/status")
    assert any(QUESTION[locale] in r.text for r in shown), [r.text for r in shown]
    await say(conversations, "household", ev.Choice(button(shown, READS[locale]["reply"])))
    await say(conversations, "household", ANSWER[locale])
    await conversations.upload(CHANNEL, "household", "bill.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 a photo")
    await say(conversations, "household", ev.Choice("_done"))
    assert (await say(conversations, "household", ev.Choice("_confirm")))[0].key == "reply.receipt"

    # The caseworker sees the question and the answer with its photo on the thread, by name.
    async with database.unit_of_work() as uow:
        cases = conversations.services.backend.cases
        entries = await cases.thread(uow, wang.user, number, now=NOW + timedelta(hours=1))
        await uow.commit()
    messages = [(e.author, e.body, len(e.document_ids)) for e in entries if e.kind is EntryKind.MESSAGE]
    assert messages == [("王芳", QUESTION[locale], 0), ("王小明", ANSWER[locale], 1)]

    # Propose; the checker disagrees and returns it with a reason; propose again; approve.
    at = NOW + timedelta(hours=2)
    await _act(conversations, database, "wang", number, ActionRequest(CaseAction.PROPOSE, amount=Decimal(2200)), at)
    returned = await _act(conversations, database, "li", number, ActionRequest(CaseAction.RETURN, note=INTERNAL), at)
    assert returned.status is CaseStatus.UNDER_REVIEW
    await _act(conversations, database, "wang", number, ActionRequest(CaseAction.PROPOSE, amount=Decimal(2000)), at)
    approved = await _act(conversations, database, "li", number, ActionRequest(CaseAction.APPROVE, note="复核通过"), at)
    assert approved.status is CaseStatus.APPROVED
    async with database.unit_of_work() as uow:
        history = await uow.cases.history(number)
    assert [(e.action, e.note) for e in history if e.action == "return"] == [("return", INTERNAL)]
    await dispatched(database, clock)

    # The decision answers the resident's next question, in their language, and holds no internal note.
    shown = await say(conversations, "household", "/status")
    decisions = [r.text for r in shown if number in r.text and READS[locale]["approved"][0] in r.text]
    assert len(decisions) == 1, [r.text for r in shown]
    decision = decisions[0]
    assert all(part in decision for part in READS[locale]["approved"]), decision
    assert INTERNAL not in decision and "复核通过" not in decision


async def test_a_rejection_reads_in_english_with_the_standard_reason_and_no_internal_note(
        conversations, database, clock):
    wang = await add_staff(database, "wang", display_name="王芳")
    await add_staff(database, "li", display_name="李明")
    _, number = await casework.applied(conversations, database, CHANNEL, "household", locale="en")
    at = NOW + timedelta(hours=1)
    await casework.acted(conversations, database, clock, wang, number, START_REVIEW)
    await _act(conversations, database, "wang", number, ActionRequest(CaseAction.PROPOSE, amount=Decimal(2200)), at)
    rejection = ActionRequest(CaseAction.REJECT, note=INTERNAL, reason_codes=("income_above_line",),
                              resident_text="You may apply again if your income falls.")
    await _act(conversations, database, "li", number, rejection, at)
    await dispatched(database, clock)
    shown = await say(conversations, "household", "/status")
    (decision,) = [r.text for r in shown if "has not been approved" in r.text]
    assert "above the city's minimum living standard" in decision
    assert "You may apply again if your income falls." in decision
    assert "administrative reconsideration" in decision
    assert INTERNAL not in decision, decision
    assert "家庭" not in decision, decision  # the reason in English, with only the programme's own name in Chinese
