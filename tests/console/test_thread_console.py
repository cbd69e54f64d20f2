"""The thread on the case page and the queue's "resident replied" flag."""

from __future__ import annotations

from datetime import timedelta

from backend.cases.lifecycle import CaseAction
from backend.cases.service import ActionRequest, CaseService
from tests.cases.helpers import NOW, PACK, payload, submit
from tests.console.conftest import csrf_in, post_form, sign_in

SERVICE = CaseService(PACK)
LATER = NOW + timedelta(hours=1)


async def test_the_case_page_shows_the_thread_by_name_and_writes_to_the_resident(client, staff, database):
    number = await submit(database, payload(1), "r1")
    async with database.unit_of_work() as uow:
        for action in (ActionRequest(CaseAction.START_REVIEW),
                       ActionRequest(CaseAction.REQUEST_INFO, question="请提供住院发票")):
            await SERVICE.act(uow, staff["wang"], number, action, now=NOW)
        case = await uow.cases.get(number)
        await SERVICE.resident_replied(uow, case.resident_id, number, "发票明天拍照发来", [], now=LATER)
        await uow.commit()
    await sign_in(client, "wang")
    page = await (await client.get(f"/console/cases/{number}")).text()
    thread = page[page.index('id="thread"'):page.index('id="history"')]
    assert "请提供住院发票" in thread and "发票明天拍照发来" in thread
    assert "王小明" in thread and "resident:" not in thread
    assert thread.index("请提供住院发票") < thread.index("发票明天拍照发来")  # newest at the bottom
    assert "internal" in thread  # status events are marked internal
    sent = await post_form(client, f"/console/cases/{number}/messages", f"/console/cases/{number}",
                           body="8号下午可以，我们下午去")
    assert sent.status == 200 and "The message is sent to the resident." in await sent.text()
    async with database.unit_of_work() as uow:
        notices = await uow.threads.notices(number)
    assert notices[-1].kind == "message" and notices[-1].params["text"] == "8号下午可以，我们下午去"
    refused = await post_form(client, f"/console/cases/{number}/messages", f"/console/cases/{number}", body="   ")
    assert 'id="message-error"' in await refused.text()


async def test_another_office_cannot_write_to_the_resident(client, staff, database):
    number = await submit(database, payload(1), "r1")
    await sign_in(client, "zhao")
    page = await client.get("/console/queue")
    response = await client.post(f"/console/cases/{number}/messages",
                                 data={"csrf": csrf_in(await page.text()), "body": "hi"})
    assert response.status == 403


async def test_the_queue_flags_cases_the_resident_wrote_to_until_opened(client, staff, database):
    quiet = await submit(database, payload(1), "r1")
    wrote = await submit(database, payload(2), "r2")
    async with database.unit_of_work() as uow:
        case = await uow.cases.get(wrote)
        await SERVICE.resident_wrote(uow, case.resident_id, wrote, "能改到下午吗？", [], now=LATER)
        await uow.commit()
    await sign_in(client, "wang")
    queue = await (await client.get("/console/queue")).text()
    rows = {n: queue[queue.index(f">{n}</a>"):].split("</tr>")[0] for n in (quiet, wrote)}
    assert "Resident replied" in rows[wrote] and "Resident replied" not in rows[quiet]
    await client.get(f"/console/cases/{wrote}")
    assert "Resident replied" not in await (await client.get("/console/queue")).text()
