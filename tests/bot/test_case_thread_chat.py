"""The case loop in the chat, as a transcript: the office asks, the resident answers with text and a
photo, the thread shows both by name; words after submission reach the thread and the assignee, the
resident told who reads them and by when; crisis words still escalate; the buttons under it work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from backend.cases.lifecycle import CaseAction
from backend.cases.service import ActionRequest
from backend.cases.thread import EntryKind
from backend.db.models import EscalationRow
from backend.web import init_app
from flows import events as ev
from flows.buttons import HUMAN, NEW_APPLICATION
from tests.bot.test_volunteer_chat import applied, button, dispatched, say
from tests.cases.helpers import NOW, add_staff

LATER = NOW + timedelta(hours=2)


async def _staff(database):
    account = await add_staff(database, "wang", display_name="王芳", telegram_id="9001")
    return account.user


async def _set_locale(database, resident_id, locale):
    async with database.unit_of_work() as uow:
        await uow.residents.set_locale(resident_id, locale)
        await uow.commit()


async def _applied_with_staff(conversations, database, locale):
    """王芳 on the staff, and a household that has applied and reads ``locale``: (王芳, its number)."""
    wang = await _staff(database)
    resident_id, number = await applied(conversations, database)
    await _set_locale(database, resident_id, locale)
    return wang, number


async def _thread(conversations, database, user, number):
    async with database.unit_of_work() as uow:
        entries = await conversations.services.backend.cases.thread(uow, user, number, now=LATER)
        await uow.commit()
    return entries


async def _pings(database):
    async with database.unit_of_work() as uow:
        return await uow.outbox.recent("telegram", "9001", limit=10)


async def test_the_office_asks_the_resident_answers_with_text_and_a_photo_and_the_thread_shows_both(
    conversations, database, clock
):
    wang = await _staff(database)
    _, number = await applied(conversations, database)
    async with database.unit_of_work() as uow:
        for action in (ActionRequest(CaseAction.START_REVIEW),
                       ActionRequest(CaseAction.REQUEST_INFO, question="Please send the hospital bill")):
            await conversations.services.backend.cases.act(uow, wang, number, action, now=NOW)
        await uow.commit()
    await dispatched(database, clock)
    # With a question waiting, what they write is kept too; they see the question again, with its
    # button, and are pointed to it for sending documents.
    shown = await say(conversations, "household", "hello?")
    assert any("Please send the hospital bill" in r.text for r in shown)
    assert shown[-1].key == "thread.received" and '"Reply now"' in shown[-1].text
    await say(conversations, "household", ev.Choice(button(shown, "Reply now")))
    await say(conversations, "household", "The bill is attached; we paid 3,200 yuan.")
    await conversations.upload("terminal", "household", "bill.png", "image/png", b"\x89PNG\r\n\x1a\n fake")
    await say(conversations, "household", ev.Choice("_done"))
    receipt = await say(conversations, "household", ev.Choice("_confirm"))
    assert receipt[0].key == "reply.receipt"
    entries = await _thread(conversations, database, wang, number)
    messages = [(e.author, e.message_kind.value, e.body, len(e.document_ids)) for e in entries
                if e.kind is EntryKind.MESSAGE]
    assert messages == [("王芳", "question", "Please send the hospital bill", 0),
                        ("王小明", "message", "hello?", 0),
                        ("王小明", "reply", "The bill is attached; we paid 3,200 yuan.", 1)]
    # Each time the resident wrote, the caseworker heard of it in their chat.
    assert len(await _pings(database)) == 2
    asked = next(e for e in entries if e.action == "request_info")
    assert (asked.author, asked.body) == ("王芳", "Please send the hospital bill")
    assert next(e for e in entries if e.action == "receive_info").author == "王小明"


@pytest.mark.parametrize(("locale", "told"), [
    ("zh_CN", ("负责您申请的工作人员王芳", "3个工作日内", "开始新的申请", "找工作人员")),
    ("en", ("Caseworker 王芳", "within 3 working days", "Start a new application")),
])
async def test_words_after_submission_reach_the_thread_and_the_assignee(conversations, database, locale, told):
    wang, number = await _applied_with_staff(conversations, database, locale)
    replies = await say(conversations, "household", "8号上午我要去医院复查，能改到下午吗？")
    answer = replies[-1]
    assert answer.key == "thread.received" and number in answer.text
    shown = "\n".join([answer.text, *(b.label for b in answer.buttons)])
    assert all(part in shown for part in told), shown
    assert [b.value for b in answer.buttons] == [NEW_APPLICATION, HUMAN]
    entries = await _thread(conversations, database, wang, number)
    words = [e for e in entries if e.kind is EntryKind.MESSAGE]
    assert [(w.author, w.body, w.unread) for w in words] == [("王小明", "8号上午我要去医院复查，能改到下午吗？", True)]
    pings = await _pings(database)
    assert len(pings) == 1 and number in pings[0].payload["text"]
    async with database.unit_of_work() as uow:
        assert await uow.threads.unread([number]) == {number}


async def test_without_an_assignee_the_street_office_reads_it(conversations, database):
    _, number = await applied(conversations, database)  # no caseworker yet: the case waits in the queue
    replies = await say(conversations, "household", "Is anyone there?")
    assert replies[-1].key == "thread.received"
    assert "A caseworker of your street office" in replies[-1].text


async def test_crisis_words_after_submission_still_escalate_at_once(conversations, database):
    wang = await _staff(database)
    _, number = await applied(conversations, database)
    replies = await say(conversations, "household", "I want to kill myself")
    assert "human.crisis" in [r.key for r in replies]
    async with database.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(EscalationRow)) == 1
    entries = await _thread(conversations, database, wang, number)
    assert not [e for e in entries if e.kind is EntryKind.MESSAGE]


async def _receipt_given(conversations, database, resident_id, number):
    """The conversation that submitted the application ended at its receipt."""
    session = conversations.engine.new_session(NOW, "en")
    session.state, session.number = "submitted", number
    async with database.unit_of_work() as uow:
        await uow.sessions.save(resident_id, "intake", session.to_dict(), state="submitted", updated_at=NOW,
                                remind_at=None, expire_at=None)
        await uow.commit()


async def test_a_photo_after_submission_joins_the_application_and_its_thread(conversations, database):
    wang = await _staff(database)
    resident_id, number = await applied(conversations, database)
    await _receipt_given(conversations, database, resident_id, number)
    replies = await conversations.upload("terminal", "household", "bill.png", "image/png", b"\x89PNG\r\n\x1a\n fake")
    assert replies[-1].key == "documents.attached"
    entries = await _thread(conversations, database, wang, number)
    (photo,) = [e for e in entries if e.kind is EntryKind.MESSAGE]
    assert (photo.author, photo.body, len(photo.document_ids), photo.unread) == ("王小明", "", 1, True)
    assert len(await _pings(database)) == 1
    async with database.unit_of_work() as uow:
        assert [d.filename for d in await uow.reports.documents(number)] == ["bill.png"]


async def test_the_buttons_start_a_new_application_or_bring_a_person(conversations, database):
    await _staff(database)
    resident_id, number = await applied(conversations, database)
    await _receipt_given(conversations, database, resident_id, number)
    words = await say(conversations, "household", "Thank you")
    assert words[-1].key == "thread.received"
    person = await say(conversations, "household", ev.Choice(HUMAN))
    assert person[-1].key == "human.recorded"
    async with database.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(EscalationRow)) == 1
    fresh = await say(conversations, "household", ev.Choice(NEW_APPLICATION))
    assert fresh[0].key == "intake.welcome"


async def test_status_shows_the_recent_messages_meant_for_the_resident_never_internal_notes(conversations, database):
    wang, number = await _applied_with_staff(conversations, database, "en")
    async with database.unit_of_work() as uow:
        cases = conversations.services.backend.cases
        await cases.add_note(uow, wang, number, "neighbour says the son works in Shenzhen", now=NOW)
        await cases.send_message(uow, wang, number, "We will visit on Monday afternoon.", now=NOW)
        await uow.commit()
    await say(conversations, "household", "Monday afternoon is fine.")
    status = (await say(conversations, "household", "/status"))[-1]
    assert status.key == "status.list"
    assert "王芳" in status.text and "We will visit on Monday afternoon." in status.text
    assert "You (" in status.text and "Monday afternoon is fine." in status.text
    assert "Shenzhen" not in status.text


async def test_a_caseworkers_message_reaches_the_resident_even_with_a_status_update_in_the_same_pass(
    conversations, database, clock
):
    wang, number = await _applied_with_staff(conversations, database, "en")
    async with database.unit_of_work() as uow:
        cases = conversations.services.backend.cases
        await cases.send_message(uow, wang, number, "Could you come on Monday at 3?", now=NOW)
        await cases.act(uow, wang, number, ActionRequest(CaseAction.START_REVIEW), now=NOW)
        await uow.commit()
    await dispatched(database, clock)
    shown = await say(conversations, "household", "Yes, Monday at 3 is fine.")
    keys = [r.key for r in shown]
    assert "notice.message" in keys and "notice.under_review" in keys
    message = shown[keys.index("notice.message")]
    assert "王芳" in message.text and "Could you come on Monday at 3?" in message.text
    assert shown[-1].key == "thread.received"


@pytest.mark.parametrize(("locale", "reply_now"), [("zh_CN", "立即回复"), ("en", "Reply now")])
async def test_the_loop_through_the_api_and_the_chat_in_both_languages(
    conversations, database, clock, config, locale, reply_now
):
    """The caseworker asks through the API; the resident answers in the chat with text and a photo;
    the API's thread shows the question and both, by name."""
    wang = await add_staff(database, "wang", display_name="王芳")
    resident_id, number = await applied(conversations, database)
    await _set_locale(database, resident_id, locale)
    async with TestClient(TestServer(init_app(config, database=database, clock=lambda: NOW))) as api:
        headers = {"Authorization": f"Bearer {wang.token}"}
        for body in ({"action": "start_review"}, {"action": "request_info", "question": "请提供住院发票 / the bill"}):
            response = await api.post(f"/api/v1/applications/{number}/actions", json=body, headers=headers)
            assert response.status == 200
        await dispatched(database, clock)
        shown = await say(conversations, "household", "/status")
        assert any("请提供住院发票 / the bill" in r.text for r in shown)
        started = await say(conversations, "household", ev.Choice(button(shown, reply_now)))
        assert started[-1].key == "reply.answer.prompt"
        await say(conversations, "household", "发票在这里 / here it is")
        await conversations.upload("terminal", "household", "bill.png", "image/png", b"\x89PNG\r\n\x1a\n fake")
        summary = await say(conversations, "household", ev.Choice("_done"))
        assert summary[-1].key == "reply.summary"
        assert (await say(conversations, "household", ev.Choice("_confirm")))[0].key == "reply.receipt"
        entries = await (await api.get(f"/api/v1/applications/{number}/thread", headers=headers)).json()
    messages = [(e["author"], e["message_kind"], e["body"], len(e["document_ids"])) for e in entries
                if e["kind"] == "message"]
    assert messages == [("王芳", "question", "请提供住院发票 / the bill", 0),
                        ("王小明", "reply", "发票在这里 / here it is", 1)]
    statuses = [(e["action"], e["author"]) for e in entries if e["kind"] == "status"]
    assert ("request_info", "王芳") in statuses and ("receive_info", "王小明") in statuses
