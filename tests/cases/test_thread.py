"""The thread of a case: the port's contract (SQLite and PostgreSQL) and what the case service
writes to it and reads from it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.cases.lifecycle import CaseAction, CaseStatus
from backend.cases.ports import Transition
from backend.cases.service import ActionRequest, CaseService, DecisionRefused, Forbidden
from backend.cases.thread import AuthorRole, EntryKind
from backend.store.errors import NotFound
from backend.store.threads import Direction, MessageKind
from tests.cases.helpers import NOW, PACK, add_staff, payload, submit

SERVICE = CaseService(PACK)
LATER = NOW + timedelta(hours=1)


class TestThreadRepository:
    async def test_messages_come_back_in_order_and_unread_until_marked(self, database):
        await add_staff(database, "wang")
        first = await submit(database, payload(1), "r1")
        second = await submit(database, payload(2), "r2")
        async with database.unit_of_work() as uow:
            asked = await uow.threads.add(first, direction=Direction.TO_RESIDENT, kind=MessageKind.QUESTION,
                                          author="wang", body="请提供医院发票", at=NOW)
            await uow.threads.add(first, direction=Direction.FROM_RESIDENT, kind=MessageKind.REPLY, author="r1",
                                  body="发票在这里", at=LATER, document_ids=("d1", "d2"))
            await uow.threads.add(second, direction=Direction.TO_RESIDENT, kind=MessageKind.MESSAGE, author="wang",
                                  body="hello", at=NOW)
            await uow.commit()
        async with database.unit_of_work() as uow:
            messages = await uow.threads.messages(first)
            assert [(m.direction, m.kind, m.body, m.document_ids) for m in messages] == [
                (Direction.TO_RESIDENT, MessageKind.QUESTION, "请提供医院发票", ()),
                (Direction.FROM_RESIDENT, MessageKind.REPLY, "发票在这里", ("d1", "d2")),
            ]
            assert messages[0].id == asked.id and messages[1].at == LATER and messages[1].number == first
            # Only a resident's message counts as unread; the office's own never does.
            assert await uow.threads.unread([first, second, "nope"]) == {first}
            assert await uow.threads.unread([]) == set()
            assert await uow.threads.mark_read(first, at=LATER) == 1
            await uow.commit()
        async with database.unit_of_work() as uow:
            assert await uow.threads.unread([first, second]) == set()
            assert (await uow.threads.messages(first))[1].read_at == LATER
            assert await uow.threads.mark_read(first, at=LATER) == 0

    async def test_an_unknown_application_is_not_found(self, database):
        async with database.unit_of_work() as uow:
            with pytest.raises(NotFound):
                await uow.threads.add("X-1", direction=Direction.TO_RESIDENT, kind=MessageKind.MESSAGE,
                                      author="wang", body="hi", at=NOW)

    async def test_notices_are_the_notifications_of_the_case(self, database):
        await add_staff(database, "wang")
        number = await submit(database, payload(1), "r1")
        async with database.unit_of_work() as uow:
            notices = await uow.threads.notices(number)
        # The receipt-time notices of the submission; each with its kind, parameters and delivery.
        assert notices and all(n.status == "pending" for n in notices)
        assert "assigned" in [n.kind for n in notices]


async def _act(database, username, number, action, **fields):
    async with database.unit_of_work() as uow:
        user = await uow.users.get(username)
        await SERVICE.act(uow, user, number, ActionRequest(CaseAction(action), **fields), now=NOW)
        await uow.commit()


async def test_a_request_for_information_keeps_its_question_and_the_reply_lands_on_the_thread(database):
    await add_staff(database, "wang", display_name="王芳")
    number = await submit(database, payload(1), "r1")
    await _act(database, "wang", number, "start_review")
    await _act(database, "wang", number, "request_info", question="请提供住院发票")
    async with database.unit_of_work() as uow:
        case = await uow.cases.get(number)
        assert await SERVICE.resident_replied(uow, case.resident_id, number, "发票已拍照", [], now=LATER)
        await uow.commit()
    async with database.unit_of_work() as uow:
        history = await uow.cases.history(number)
        wang = await uow.users.get("wang")
        entries = await SERVICE.thread(uow, wang, number, now=LATER, mark_read=True)
        await uow.commit()
    asked = next(e for e in history if e.action == "request_info")
    assert asked.note == "请提供住院发票"
    messages = [(e.author, e.author_role, e.message_kind, e.body, e.unread) for e in entries
                if e.kind is EntryKind.MESSAGE]
    assert messages == [("王芳", AuthorRole.STAFF, MessageKind.QUESTION, "请提供住院发票", False),
                        ("王小明", AuthorRole.RESIDENT, MessageKind.REPLY, "发票已拍照", True)]
    # The resident's status event is theirs by name, never by the resident's id.
    received = next(e for e in entries if e.action == "receive_info")
    assert (received.author, received.author_role, received.internal) == ("王小明", AuthorRole.RESIDENT, True)
    assert any(e.kind is EntryKind.NOTICE and e.notice_kind == "info_requested" for e in entries)
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    async with database.unit_of_work() as uow:
        assert await uow.threads.unread([number]) == set()  # the caseworker has read it now


async def test_a_caseworker_writes_to_the_resident_and_only_of_their_office(database):
    await add_staff(database, "wang", display_name="王芳")
    await add_staff(database, "zhao", office="wenchang")
    number = await submit(database, payload(1), "r1")
    async with database.unit_of_work() as uow:
        wang, zhao = await uow.users.get("wang"), await uow.users.get("zhao")
        with pytest.raises(DecisionRefused) as refused:
            await SERVICE.send_message(uow, wang, number, "   ", now=NOW)
        assert refused.value.field == "body"
        with pytest.raises(Forbidden):
            await SERVICE.send_message(uow, zhao, number, "hi", now=NOW)
        await SERVICE.send_message(uow, wang, number, "8号下午可以", now=LATER)
        await uow.commit()
    async with database.unit_of_work() as uow:
        notices = await uow.threads.notices(number)
        case = await uow.cases.get(number)
        view = await SERVICE.resident_view(uow, case.resident_id, number)
        assert await SERVICE.resident_view(uow, "someone-else", number) == []
    assert (notices[-1].kind, notices[-1].params) == ("message", {"text": "8号下午可以", "caseworker": "王芳"})
    assert [(e.author, e.body) for e in view] == [("王芳", "8号下午可以")]


async def test_unasked_words_reach_the_assignee_and_only_on_an_open_case_of_theirs(database):
    await add_staff(database, "wang", display_name="王芳")
    number = await submit(database, payload(1), "r1")
    async with database.unit_of_work() as uow:
        case = await uow.cases.get(number)
        written = await SERVICE.resident_wrote(uow, case.resident_id, number, "8号上午我要去医院复查", [], now=LATER)
        assert await SERVICE.resident_wrote(uow, "someone-else", number, "hi", [], now=LATER) is None
        await uow.commit()
    assert written is not None and written.assignee.username == "wang" and written.response_days == 3
    async with database.unit_of_work() as uow:
        assert await uow.threads.unread([number]) == {number}
        await uow.cases.transition(number, Transition(status=CaseStatus.WITHDRAWN, action="withdraw", actor="wang",
                                                      note="", at=LATER))
        assert await SERVICE.resident_wrote(uow, case.resident_id, number, "还在吗", [], now=LATER) is None
