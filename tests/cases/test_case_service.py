"""Deciding cases: assignment on arrival, scopes, maker-checker, and what every action leaves behind."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from backend.buttons import ReplyNow, button
from backend.cases.lifecycle import CaseAction, CaseStatus, IllegalTransition
from backend.cases.notices import render_notice
from backend.cases.ports import CaseQuery, Role
from backend.cases.service import CaseService, DecisionRefused, Forbidden
from locales import Translations
from tests.cases.helpers import NOW, PACK, act, add_staff, payload, submit

SERVICE = CaseService(PACK)
A = CaseAction


async def case_of(database, number):
    async with database.unit_of_work() as uow:
        return await uow.cases.get(number)


async def to_review(database, number, who="wang"):
    await act(database, who, number, "start_review")


async def test_a_new_case_goes_to_the_least_loaded_caseworker_of_its_office(database):
    await add_staff(database, "wang")
    await add_staff(database, "li")
    await add_staff(database, "zhao", office="wenchang")
    first = await submit(database, payload(1), "r1")
    second = await submit(database, payload(2), "r2")
    third = await submit(database, payload(3), "r3")
    assigned = [(await case_of(database, n)).assigned_to for n in (first, second, third)]
    # Equal loads go to the older account; then the one with fewer open cases.
    assert assigned == ["wang", "li", "wang"]
    assert (await case_of(database, first)).status is CaseStatus.ASSIGNED


async def test_an_emergency_goes_to_the_caseworker_on_duty_with_a_24_hour_deadline(database):
    await add_staff(database, "wang")
    await add_staff(database, "li", on_duty=True)
    await submit(database, payload(1), "r1")  # wang (least loaded, first)
    urgent = await submit(database, payload(2, urgent=True), "r2")
    case = await case_of(database, urgent)
    assert case.emergency and case.assigned_to == "li"
    assert case.deadline_at == NOW + timedelta(hours=24)
    async with database.unit_of_work() as uow:
        history = await uow.cases.history(urgent)
    assert [(e.status.value, e.actor) for e in history] == [
        ("submitted", "system"), ("assessed", "system"), ("assigned", "system")
    ]
    assert history[-1].note == "system:on_duty"


async def test_with_no_caseworker_the_case_waits_assessed(database):
    number = await submit(database, payload(1), "r1")
    case = await case_of(database, number)
    assert case.status is CaseStatus.ASSESSED and case.assigned_to is None


async def test_every_action_writes_a_status_event_a_notification_and_an_audit_entry(database):
    await add_staff(database, "wang")
    number = await submit(database, payload(1), "r1")
    await act(database, "wang", number, "start_review", note="开始审核")
    await act(database, "wang", number, "request_info", question="请补充医院诊断证明")
    case = await case_of(database, number)
    async with database.unit_of_work() as uow:
        history = await uow.cases.history(number)
        notes = await uow.notifications.for_resident(case.resident_id)
        audit = await uow.audit.for_target(number)
    assert [(e.status.value, e.action, e.actor) for e in history[-2:]] == [
        ("under_review", "start_review", "wang"), ("info_requested", "request_info", "wang")
    ]
    assert history[-2].note == "开始审核"
    case_notices = [n for n in notes if not n.kind.startswith("offer")]  # offers go on their own
    assert [n.kind for n in case_notices] == ["submitted", "assessed", "assigned", "under_review", "info_requested"]
    # A request for information comes with a button that takes the resident straight into answering.
    assert case_notices[-1].params == {"question": "请补充医院诊断证明",
                                       "buttons": [button(ReplyNow(number), "notice.reply_now")]}
    assert notes[-1].application_number == number
    assert [(e.action, e.details) for e in audit] == [
        ("case.start_review", {"from": "assigned", "to": "under_review"}),
        ("case.request_info", {"from": "under_review", "to": "info_requested"}),
    ]


async def test_an_illegal_action_is_refused_and_changes_nothing(database):
    await add_staff(database, "wang")
    number = await submit(database, payload(1), "r1")
    with pytest.raises(IllegalTransition, match="cannot approve a case that is assigned"):
        await act(database, "wang", number, "approve")
    async with database.unit_of_work() as uow:
        assert len(await uow.cases.history(number)) == 3
        assert await uow.audit.for_target(number) == []


async def test_a_caseworker_cannot_see_or_move_another_offices_case(database):
    await add_staff(database, "wang")
    await add_staff(database, "zhao", office="wenchang")
    number = await submit(database, payload(1), "r1")
    with pytest.raises(Forbidden):
        await act(database, "zhao", number, "start_review")
    async with database.unit_of_work() as uow:
        zhao = await uow.users.get("zhao")
        with pytest.raises(Forbidden):
            await SERVICE.get(uow, zhao, number, now=NOW)
        cases, total = await SERVICE.list(uow, zhao, CaseQuery(), now=NOW)
        assert (cases, total) == ([], 0)
        with pytest.raises(Forbidden):
            await SERVICE.list(uow, zhao, CaseQuery(office="hubin"), now=NOW)


async def test_reading_a_case_is_audited(database):
    await add_staff(database, "wang")
    await add_staff(database, "root", Role.ADMIN)
    number = await submit(database, payload(1), "r1")
    async with database.unit_of_work() as uow:
        for name in ("wang", "root"):
            await SERVICE.get(uow, await uow.users.get(name), number, now=NOW)
        await uow.commit()
        audit = await uow.audit.for_target(number)
    assert [(e.actor, e.action, e.details) for e in audit] == [
        ("wang", "case.read", {"id_numbers_shown": True}),
        ("root", "case.read", {"id_numbers_shown": False}),
    ]


async def test_a_dibao_approval_needs_a_second_caseworker(database):
    await add_staff(database, "wang")
    await add_staff(database, "li")
    number = await submit(database, payload(1), "r1")
    case = await case_of(database, number)
    assert case.layer == "dibao" and case.assigned_to == "wang"
    await to_review(database, number)
    proposed = await act(database, "wang", number, "propose")
    # The proposal defaults to the assessment's assistance and benefit estimate.
    assert proposed.decision["amount"] == case.assessment["benefit_estimate"]["amount"]
    assert proposed.decision["package"] == case.assessment["assistance"]
    assert proposed.proposed_by == "wang"
    with pytest.raises(DecisionRefused, match="second caseworker"):
        await act(database, "wang", number, "approve")
    approved = await act(database, "li", number, "approve")
    assert approved.status is CaseStatus.APPROVED
    assert approved.decision["approved_by"] == "li" and approved.decision["proposed_by"] == "wang"


async def test_a_small_amount_outside_tekun_and_dibao_can_be_approved_by_the_proposer(database):
    await add_staff(database, "wang")
    number = await submit(database, payload(1, income="1100"), "r1")  # 1,400 a month with the pension: marginal
    assert (await case_of(database, number)).layer == "dibao_marginal"
    await to_review(database, number)
    await act(database, "wang", number, "propose", package=("medical",), amount=Decimal("500"))
    assert (await act(database, "wang", number, "approve")).status is CaseStatus.APPROVED


async def test_an_amount_above_the_pack_threshold_needs_a_second_caseworker(database):
    await add_staff(database, "wang")
    number = await submit(database, payload(1, income="1200"), "r1")
    await to_review(database, number)
    await act(database, "wang", number, "propose", package=("medical",), amount=Decimal("3000.01"))
    with pytest.raises(DecisionRefused, match="above"):
        await act(database, "wang", number, "approve")


async def test_a_rejection_needs_reasons_and_tells_the_resident_how_and_by_when_to_appeal(database):
    await add_staff(database, "wang")
    number = await submit(database, payload(1), "r1")
    await to_review(database, number)
    with pytest.raises(DecisionRefused) as refused:
        await act(database, "wang", number, "reject", reason_codes=("  ",))
    assert refused.value.field == "reason_codes"
    with pytest.raises(DecisionRefused, match="unknown reason code 'too_rich'") as refused:
        await act(database, "wang", number, "reject", reason_codes=("too_rich",))
    assert refused.value.field == "reason_codes"
    rejected = await act(database, "wang", number, "reject", reason_codes=("income_above_line",),
                         note="收入核对不符")
    assert rejected.decision["reason_codes"] == ["income_above_line"]
    assert rejected.decision["internal_note"] == "收入核对不符"
    assert rejected.decision["appeal_by"] == (NOW.date() + timedelta(days=60)).isoformat()
    async with database.unit_of_work() as uow:
        last = (await uow.notifications.for_resident(rejected.resident_id))[-1]
    assert last.kind == "rejected" and last.params["appeal_by"] == rejected.decision["appeal_by"]


async def test_assigning_checks_the_assignee(database):
    await add_staff(database, "wang")
    await add_staff(database, "li")
    await add_staff(database, "zhao", office="wenchang")
    await add_staff(database, "boss", Role.SUPERVISOR)
    number = await submit(database, payload(1), "r1")
    with pytest.raises(DecisionRefused, match="not a caseworker of hubin"):
        await act(database, "boss", number, "assign", assignee="zhao")
    with pytest.raises(DecisionRefused, match="say which caseworker"):
        await act(database, "boss", number, "assign")
    assert (await act(database, "boss", number, "assign", assignee="li")).assigned_to == "li"


async def test_a_visit_must_be_in_the_future(database):
    await add_staff(database, "wang")
    number = await submit(database, payload(1), "r1")
    await to_review(database, number)
    with pytest.raises(DecisionRefused):
        await act(database, "wang", number, "schedule_visit", visit_at=NOW - timedelta(hours=1))
    case = await act(database, "wang", number, "schedule_visit", visit_at=NOW + timedelta(days=2))
    assert case.status is CaseStatus.HOME_VISIT_SCHEDULED


async def test_concurrent_decisions_on_one_case_apply_one_after_the_other(database):
    import asyncio

    await add_staff(database, "wang")
    await add_staff(database, "li")
    number = await submit(database, payload(1, income="1200"), "r1")
    await to_review(database, number)
    results = await asyncio.gather(
        act(database, "wang", number, "reject", reason_codes=("income_above_line",)),
        act(database, "li", number, "reject", reason_codes=("assets_above_limit",)),
        return_exceptions=True,
    )
    # One rejects; the other finds the case rejected already (or lost the race for the lock).
    assert sum(not isinstance(r, BaseException) for r in results) == 1, results
    async with database.unit_of_work() as uow:
        assert [e.status for e in await uow.cases.history(number)].count(CaseStatus.REJECTED) == 1


async def test_a_resident_waiting_past_the_review_date_is_told_once_every_period(database):
    await add_staff(database, "wang")
    waiting = await submit(database, payload(1), "r1")
    decided = await submit(database, payload(2), "r2")
    await to_review(database, decided)
    await act(database, "wang", decided, "reject", reason_codes=("documents_missing",))

    async def tell(now):
        async with database.unit_of_work() as uow:
            count = await SERVICE.tell_the_long_waiting(uow, now=now, days=10)
            await uow.commit()
        return count

    assert await tell(NOW + timedelta(days=9)) == 0
    assert await tell(NOW + timedelta(days=11)) == 1
    assert await tell(NOW + timedelta(days=12)) == 0  # told a day ago
    assert await tell(NOW + timedelta(days=22)) == 1
    case = await case_of(database, waiting)
    async with database.unit_of_work() as uow:
        told = [n for n in await uow.notifications.for_resident(case.resident_id) if n.kind == "still_in_review"]
    assert [n.params["days"] for n in told] == [
        (NOW + timedelta(days=d) - case.submitted_at).days for d in (11, 22)
    ]
    # Each reassurance repeats the day the receipt promised: the case's deadline, in the city's time.
    promised = case.deadline_at.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert [n.params["due"] for n in told] == [promised, promised]
    english = render_notice(told[0], Translations()("en"))
    assert f"We will answer by {format_date(date.fromisoformat(promised), format='long', locale='en')}." in english
