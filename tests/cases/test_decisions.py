"""Maker-checker that can disagree, and decisions with two texts: what staff read and what the
resident reads (the pack's standard reasons and facts, in the resident's language)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from backend.cases.lifecycle import CaseAction, CaseStatus
from backend.cases.notices import render_notice
from backend.cases.service import ActionRequest, CaseService, DecisionRefused
from locales import Translations
from tests.cases.helpers import NOW, PACK, act, add_staff, payload, submit

SERVICE = CaseService(PACK)
A = CaseAction
INTERNAL = "金额计算有误，应重新核算"


async def allowed(database, username, number):
    async with database.unit_of_work() as uow:
        return SERVICE.allowed(await uow.users.get(username), await uow.cases.get(number), now=NOW)


async def notices(database, resident_id):
    async with database.unit_of_work() as uow:
        return await uow.notifications.for_resident(resident_id)


async def proposed_by_wang(database):
    """A case that wang proposed 2200 for, with li, another caseworker of the office, to check it."""
    await add_staff(database, "wang")
    await add_staff(database, "li")
    number = await submit(database, payload(1), "r1")
    await act(database, "wang", number, "start_review")
    await act(database, "wang", number, "propose", amount=Decimal(2200))
    return number


async def test_a_returned_proposal_goes_back_with_its_reason_and_another_caseworker_approves_it(database):
    await add_staff(database, "wang", display_name="王芳", telegram_id="1001")
    await add_staff(database, "li", display_name="李明")
    number = await submit(database, payload(1), "r1")
    await act(database, "wang", number, "start_review")
    proposed = await act(database, "wang", number, "propose", amount=Decimal(2200))
    assert proposed.layer in ("dibao", "tekun")  # a second caseworker must check it
    assert A.APPROVE not in await allowed(database, "wang", number)
    assert A.RETURN not in await allowed(database, "wang", number)
    assert {A.APPROVE, A.RETURN, A.REJECT} <= set(await allowed(database, "li", number))
    with pytest.raises(DecisionRefused, match="proposer cannot return"):
        await act(database, "wang", number, "return", note="oops")
    with pytest.raises(DecisionRefused) as refused:
        await act(database, "li", number, "return", note="  ")
    assert refused.value.field == "note"
    told_before = len(await notices(database, proposed.resident_id))

    returned = await act(database, "li", number, "return", note=INTERNAL, now=NOW + timedelta(hours=1))
    assert returned.status is CaseStatus.UNDER_REVIEW
    assert returned.decision["outcome"] == "returned" and returned.decision["return_reason"] == INTERNAL
    async with database.unit_of_work() as uow:
        event = (await uow.cases.history(number))[-1]
        staff = await uow.outbox.due("telegram", now=NOW + timedelta(hours=2))
    # The reason is on the case's history, and the proposer hears of it in their staff chat.
    assert (event.action, event.actor, event.note) == ("return", "li", INTERNAL)
    (message,) = [item for item in staff if item.address == "1001"]
    assert number in message.payload["text"] and "李明" in message.payload["text"]
    assert INTERNAL in message.payload["text"]
    # The office's disagreement is its own: the resident is not told of it, and never its reason.
    assert len(await notices(database, proposed.resident_id)) == told_before

    await act(database, "wang", number, "propose", amount=Decimal(2000), now=NOW + timedelta(hours=3))
    approved = await act(database, "li", number, "approve", note="复核通过", now=NOW + timedelta(hours=4))
    assert approved.status is CaseStatus.APPROVED and approved.decision["amount"] == "2000.00"
    assert approved.decision["approved_by"] == "li" and approved.decision["internal_note"] == "复核通过"
    last = (await notices(database, approved.resident_id))[-1]
    assert last.kind == "approved" and "复核通过" not in str(last.params) and INTERNAL not in str(last.params)


async def test_a_rejection_tells_the_resident_the_standard_reasons_in_english_and_never_the_internal_note(
        database):
    number = await proposed_by_wang(database)
    rejected = await act(database, "li", number, "reject", note=INTERNAL,
                         reason_codes=("income_above_line", "documents_missing"),
                         resident_text="You are welcome to apply again when your income changes.")
    assert rejected.decision["internal_note"] == INTERNAL
    last = (await notices(database, rejected.resident_id))[-1]
    assert last.kind == "rejected" and INTERNAL not in str(last.params)
    english = render_notice(last, Translations()("en"))
    assert "above the city's minimum living standard" in english
    assert "The documents we asked for did not arrive in time" in english
    assert "You are welcome to apply again when your income changes." in english
    assert "administrative reconsideration to the district people's government" in english
    assert "by January 28, 2027" in english  # 60 days (appeal_days) after the decision
    assert INTERNAL not in english and "家庭" not in english
    chinese = render_notice(last, Translations()("zh_CN"))
    assert "家庭人均月收入高于本市低保标准" in chinese and "2027年1月28日 前向所在区人民政府申请行政复议" in chinese


async def test_the_preview_is_the_message_the_resident_will_read(database):
    await add_staff(database, "wang")
    number = await submit(database, payload(1), "r1")
    await act(database, "wang", number, "start_review")
    async with database.unit_of_work() as uow:
        case = await uow.cases.get(number)
    request = ActionRequest(A.REJECT, note=INTERNAL, reason_codes=("assets_above_limit",), resident_text="Sorry.")
    preview = SERVICE.preview(case, request, Translations()("en"), now=NOW)
    assert preview is not None and "above the set limits" in preview and "Sorry." in preview
    assert INTERNAL not in preview
    with pytest.raises(DecisionRefused) as refused:
        SERVICE.preview(case, ActionRequest(A.REJECT, reason_codes=("nope",)), Translations()("en"), now=NOW)
    assert refused.value.field == "reason_codes"
    assert SERVICE.preview(case, ActionRequest(A.RETURN, note="x"), Translations()("en"), now=NOW) is None


async def test_a_return_tells_the_resident_only_what_the_checker_wrote_for_them(database):
    number = await proposed_by_wang(database)
    returned = await act(database, "li", number, "return", note=INTERNAL,
                         resident_text="We need a few more days to check the amount.")
    last = (await notices(database, returned.resident_id))[-1]
    assert last.kind == "returned"
    english = render_notice(last, Translations()("en"))
    assert english == (f"The office is looking at your application {number} again before deciding. "
                       "We need a few more days to check the amount.")
    assert INTERNAL not in render_notice(last, Translations()("zh_CN"))
