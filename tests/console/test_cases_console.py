"""Cases from the console: office scopes, the queue's order and counts, actions through the case
service (maker-checker, refusals named), every action audited, documents, trace sentences."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from backend.cases.lifecycle import CaseAction
from backend.cases.service import ActionRequest, CaseService
from backend.crypto import IdHasher
from backend.db.models import OfferRow
from backend.documents import FileDocumentStorage
from backend.intake import IntakeService
from backend.ports import DocumentMeta
from tests.cases.helpers import NOW, PACK, payload, submit
from tests.console.conftest import post_form, sign_in

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


async def _move(database, staff, number, *actions):
    async with database.unit_of_work() as uow:
        for action in actions:
            await CaseService(PACK).act(uow, staff["wang"], number, ActionRequest(action), now=NOW)
        await uow.commit()


async def _under_review_by_wang(client, staff, database) -> tuple[str, str]:
    """A case wang has started reviewing, wang signed in: its number and its console page."""
    number = await submit(database, payload(1), "r1")
    await _move(database, staff, number, CaseAction.START_REVIEW)
    await sign_in(client, "wang")
    return number, f"/console/cases/{number}"


def _facet(html: str, name: str) -> dict[str, int]:
    block = re.search(rf'data-facet="{name}">(.*?)</div>', html, re.S).group(1)
    return {v: int(n) for v, n in re.findall(r'data-value="([^"]+)"[^>]*>[^<]*<span class="n">(\d+)</span>', block)}


async def test_a_caseworker_sees_only_their_office_and_an_admin_sees_all(client, staff, database):
    ours = await submit(database, payload(1, "hubin"), "r1")
    theirs = await submit(database, payload(2, "wenchang"), "r2")
    await sign_in(client, "wang")
    queue = await (await client.get("/console/queue")).text()
    assert ours in queue and theirs not in queue
    refused = await client.get(f"/console/cases/{theirs}")
    assert refused.status == 403 and "another office" in await refused.text()
    async with database.unit_of_work() as uow:
        assert not [e for e in await uow.audit.for_target(theirs) if e.actor == "wang"]
    client.session.cookie_jar.clear()
    await sign_in(client, "root")
    queue = await (await client.get("/console/queue")).text()
    assert ours in queue and theirs in queue
    only = await (await client.get("/console/queue?office=wenchang")).text()
    assert ours not in only and theirs in only
    case = await (await client.get(f"/console/cases/{ours}")).text()
    id_number = (await _payload_id(database, ours))
    assert id_number not in case and id_number[:3] + "*" in case  # an administrator sees ID numbers masked


async def _payload_id(database, number: str) -> str:
    async with database.unit_of_work() as uow:
        return (await uow.cases.get(number)).payload["applicant"]["id_number"]


async def test_the_queue_puts_emergencies_first_and_counts_each_filter(client, staff, database):
    plain = await submit(database, payload(1), "r1")
    urgent = await submit(database, payload(2, urgent=True), "r2")
    await submit(database, payload(3, income="9000"), "r3")
    await sign_in(client, "wang")
    text = await (await client.get("/console/queue")).text()
    assert text.index(urgent) < text.index(plain)
    assert "3 cases" in text
    assert _facet(text, "emergency") == {"yes": 1, "no": 2}
    filtered = await (await client.get("/console/queue?emergency=no")).text()
    assert "2 cases" in filtered and urgent not in filtered
    # A facet's counts apply the other filters, not its own.
    assert _facet(filtered, "emergency") == {"yes": 1, "no": 2}
    assert sum(_facet(filtered, "layer").values()) == 2


async def test_actions_from_the_console_go_through_the_case_service_and_the_audit_log(client, staff, database):
    number = await submit(database, payload(1), "r1")
    await sign_in(client, "wang")
    page = f"/console/cases/{number}"
    done = await post_form(client, f"{page}/actions", page, action="start_review")
    assert "The review has started" in await done.text()
    refused = await post_form(client, f"{page}/actions", page, action="request_info", question="")
    assert "Say what the resident should send" in await refused.text()
    await post_form(client, f"{page}/actions", page, action="request_info", question="Send the bill")
    illegal = await post_form(client, f"{page}/actions", page, action="propose")
    assert "That action is not possible" in await illegal.text()
    async with database.unit_of_work() as uow:
        notices = await uow.notifications.for_resident((await uow.cases.get(number)).resident_id)
        actions = [e.action for e in await uow.audit.for_target(number)]
    assert notices[-1].params["question"] == "Send the bill"
    assert {"case.start_review", "case.request_info", "case.read"} <= set(actions)


async def test_maker_checker_and_a_rejection_with_reasons(client, staff, database):
    number, page = await _under_review_by_wang(client, staff, database)
    await post_form(client, f"{page}/actions", page, action="propose", amount="500")
    # The proposer is not offered approval: a second caseworker must check it.
    mine = await (await client.get(page)).text()
    assert 'data-action="approve"' not in mine and 'data-action="return"' not in mine
    own = await post_form(client, f"{page}/actions", page, action="approve", confirmed="1")
    assert "needs a second caseworker" in await own.text()
    client.session.cookie_jar.clear()
    await sign_in(client, "li")
    theirs = await (await client.get(page)).text()
    assert 'data-action="approve"' in theirs and 'data-action="return"' in theirs
    # Rejecting is drawn apart from the other actions and asks first, showing the resident's message.
    assert re.search(r'class="action destructive" data-action="reject"', theirs)
    asked = await post_form(client, f"{page}/actions", page, action="reject", note="savings too high",
                            reason_codes="assets_above_limit")
    text = await asked.text()
    assert 'id="confirm"' in text and "above the set limits" not in text.split('id="confirm"')[0]
    assert "所在区人民政府申请行政复议" in text  # the resident uses Chinese: the preview is in Chinese
    async with database.unit_of_work() as uow:
        assert (await uow.cases.get(number)).status.value == "proposed"  # nothing happened yet
    rejected = await post_form(client, f"{page}/actions", page, action="reject", note="savings too high",
                               reason_codes="assets_above_limit", confirmed="1")
    text = await rejected.text()
    assert "Rejected by li" in text and "savings too high" in text
    async with database.unit_of_work() as uow:
        case = await uow.cases.get(number)
    assert case.decision["reason_codes"] == ["assets_above_limit"]
    assert case.decision["internal_note"] == "savings too high"


async def test_a_note_and_a_service_task(client, staff, database):
    number = await submit(database, payload(1), "r1")
    await sign_in(client, "wang")
    page = f"/console/cases/{number}"
    await post_form(client, f"{page}/notes", page, body="Called the resident")
    task = await post_form(client, f"{page}/tasks", page, skill="companion", day="2026-12-02", time="09:30",
                           minutes="90", given_name="张", address="湖滨路 1 号", details="Accompany to the clinic")
    assert "The task is created" in await task.text()
    past = await post_form(client, f"{page}/tasks", page, skill="companion", day="2020-01-01", time="09:30",
                           minutes="90", given_name="张", address="x")
    assert "starts at a date and time in the future" in await past.text()
    for minutes in ("²", "9" * 25, "721"):  # a digit that is no number, beyond any column, beyond a day's work
        odd = await post_form(client, f"{page}/tasks", page, skill="companion", day="2026-12-02", time="09:30",
                              minutes=minutes, given_name="张", address="x")
        assert odd.status == 200 and "between 1 and 720 minutes" in await odd.text(), minutes
    async with database.unit_of_work() as uow:
        tasks = await uow.tasks.for_application(number)
        actions = [e.action for e in await uow.audit.for_target(number)]
    assert [t.spec.skill for t in tasks] == ["companion"] and tasks[0].spec.duration_minutes == 90
    assert "case.note" in actions


async def test_documents_are_downloads_of_the_type_their_content_is(client, staff, database, config):
    storage = FileDocumentStorage(config.data_dir / "documents")
    png = (FIXTURES / "hospital_bill.png").read_bytes()
    async with database.unit_of_work() as uow:
        resident = await uow.residents.identify("terminal", "r1", now=NOW)
        # d2 and d3 were kept before uploads were checked (or by anything that skips the check):
        # what they claim to be does not count.
        for doc_id, name, mime, data in (("d1", "bill.png", "image/png", png),
                                         ("d2", "letter.html", "text/html", b"<script>alert(1)</script>"),
                                         ("d3", "photo.png", "image/png", b"<html><script>alert(1)</script>")):
            key, digest = storage.save(data)[:2] if doc_id == "d1" else storage.keep(data)
            await uow.documents.add(DocumentMeta(doc_id, resident.id, name, mime, len(data), digest, key, NOW))
        outcome = await IntakeService(IdHasher(b"k"), pack=PACK).submit(uow, payload(1), resident_id=resident.id,
                                                                        document_ids=["d1", "d2", "d3"], now=NOW)
        await uow.commit()
    number = outcome.application.number
    await sign_in(client, "wang")
    page = await (await client.get(f"/console/cases/{number}")).text()
    assert f'<img src="/console/cases/{number}/documents/d1"' in page
    assert f'href="/console/cases/{number}/documents/d2" download' in page
    image = await client.get(f"/console/cases/{number}/documents/d1")
    assert image.headers["Content-Type"] == "image/png" and await image.read() == png
    for served in (image, await client.get(f"/console/cases/{number}/documents/d2"),
                   await client.get(f"/console/cases/{number}/documents/d3")):
        assert served.headers["Content-Disposition"].startswith("attachment")
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        if served is not image:
            assert served.headers["Content-Type"] == "application/octet-stream"
    assert (await client.get(f"/console/cases/{number}/documents/nope")).status == 404


async def test_the_case_page_explains_the_assessment_and_charts_seven_dimensions(client, staff, database):
    number = await submit(database, payload(1), "r1")
    await sign_in(client, "wang", lang="zh_CN")
    page = await (await client.get(f"/console/cases/{number}")).text()
    assert page.count('<circle class="dot"') == 7
    for name in ("收入", "资产", "健康", "住房"):
        assert name in page
    trace = re.search(r'<ol class="trace">(.*?)</ol>', page, re.S).group(1)
    assert trace.count("<li>") > 30 and "policy.rule" not in trace


async def test_a_home_visit_is_scheduled_in_the_regions_time(client, staff, database):
    number, page = await _under_review_by_wang(client, staff, database)
    past = await post_form(client, f"{page}/actions", page, action="schedule_visit", visit_at="2026-11-28T09:00")
    assert "needs a date and time in the future" in await past.text()
    done = await post_form(client, f"{page}/actions", page, action="schedule_visit", visit_at="2026-12-01T09:30")
    assert "The home visit is scheduled" in await done.text()
    async with database.unit_of_work() as uow:
        notices = await uow.notifications.for_resident((await uow.cases.get(number)).resident_id)
    # What was typed is a time where the office is (the pack's time zone, Asia/Shanghai).
    assert notices[-1].params["visit_at"] == "2026-12-01T09:30:00+08:00"


async def test_amounts_are_read_as_people_write_them_and_a_bad_one_keeps_what_was_typed(client, staff, database):
    number, page = await _under_review_by_wang(client, staff, database)
    wrong = await post_form(client, f"{page}/actions", page, action="propose", amount="两千二三百",
                            note="核对后")
    text = await wrong.text()
    # The error is at the field, not a banner; what was typed stays in the form.
    assert wrong.status == 422 and 'class="flash error"' not in text
    assert re.search(r'<input name="amount"[^>]*value="两千二三百"[^>]*aria-invalid="true"', text)
    assert 'id="error-propose-amount"' in text and "两千二" in text.split('id="error-propose-amount"')[1][:200]
    assert 'value="核对后"' in text
    async with database.unit_of_work() as uow:
        assert (await uow.cases.get(number)).status.value == "under_review"
    for typed, amount in (("两千二", "2200.00"), ("2,200", "2200.00"), ("2200元", "2200.00")):
        proposed = await post_form(client, f"{page}/actions", page, action="propose", amount=typed)
        assert proposed.status == 200
        async with database.unit_of_work() as uow:
            case = await uow.cases.get(number)
        assert case.decision["amount"] == amount, typed
        async with database.unit_of_work() as uow:
            await CaseService(PACK).act(uow, staff["li"], number,
                                        ActionRequest(CaseAction.RETURN, note="再核"), now=NOW)
            await uow.commit()


async def test_a_rejection_without_a_reason_comes_back_with_the_error_at_the_reasons(client, staff, database):
    number, page = await _under_review_by_wang(client, staff, database)
    refused = await post_form(client, f"{page}/actions", page, action="reject", note="内部意见",
                              resident_text="Please call us.")
    text = await refused.text()
    assert refused.status == 422 and 'id="error-reject-reason_codes"' in text
    assert ">内部意见</textarea>" in text and ">Please call us.</textarea>" in text
    # Withdrawing, too, is drawn apart and asks first.
    assert re.search(r'class="action destructive" data-action="withdraw"', text)
    asked = await post_form(client, f"{page}/actions", page, action="withdraw")
    assert 'id="confirm"' in await asked.text()
    async with database.unit_of_work() as uow:
        assert (await uow.cases.get(number)).status.value == "under_review"


async def test_a_decision_the_status_no_longer_allows_is_refused_before_it_is_confirmed(client, staff, database):
    number = await submit(database, payload(1), "r1")  # assigned, not yet under review
    await sign_in(client, "wang")
    page = f"/console/cases/{number}"
    asked = await post_form(client, f"{page}/actions", page, action="reject", reason_codes="documents_missing")
    text = await asked.text()
    assert 'id="confirm"' not in text and 'class="flash error"' in text
    assert "error=console.refused.illegal" in str(asked.url)


async def test_an_offer_left_unanswered_past_its_time_shows_as_expired(client, staff, database):
    number = await submit(database, payload(1, income="0"))
    async with database.engine.begin() as connection:
        offers = (await connection.execute(select(OfferRow.id).where(OfferRow.application_number == number))).all()
        assert offers, "the household is offered something"
        await connection.execute(update(OfferRow).where(OfferRow.id == offers[0].id)
                                 .values(expires_at=NOW - timedelta(days=1)))
    await sign_in(client, "wang")
    page = await (await client.get(f"/console/cases/{number}")).text()
    section = page[page.index('id="offers"') if 'id="offers"' in page else page.rindex("<table"):]
    assert section.count("expired unanswered") == 1
    assert "offered" in section.lower()  # the others are still open
