"""A case's thread over HTTP: read it, write to the resident, relay the resident's words."""

from __future__ import annotations

from sqlalchemy import update

from backend.db.models import UserRow
from tests.api.conftest import auth, create_body


async def _created(client, tokens) -> str:
    response = await client.post("/api/v1/applications", json=create_body(resident="tg-1"), headers=auth(tokens["bot"]))
    return (await response.json())["number"]


async def test_question_reply_and_message_are_on_the_thread_with_authors_by_name(client, tokens, database):
    number = await _created(client, tokens)
    actions = f"/api/v1/applications/{number}/actions"
    for body in ({"action": "start_review"}, {"action": "request_info", "question": "请提供住院发票"}):
        assert (await client.post(actions, json=body, headers=auth(tokens["wang"]))).status == 200
    thread = f"/api/v1/applications/{number}/thread"
    relayed = await client.post(f"{thread}/resident", headers=auth(tokens["bot"]), json={
        "resident": {"channel": "telegram", "external_id": "tg-1"}, "body": "发票在路上，明天拍照发来"})
    assert relayed.status == 201 and (await relayed.json())["kind"] == "reply"
    sent = await client.post(thread, json={"body": "好的，收到后我们尽快审核"}, headers=auth(tokens["wang"]))
    assert sent.status == 201 and (await sent.json())["direction"] == "to_resident"
    entries = await (await client.get(thread, headers=auth(tokens["boss"]))).json()
    messages = [(e["author"], e["author_role"], e["message_kind"], e["body"], e["unread"]) for e in entries
                if e["kind"] == "message"]
    # Staff are shown by display name (the fixture's accounts are named after their usernames'
    # owners); the resident by the applicant's name, never their id.
    assert messages == [
        ("wang", "staff", "question", "请提供住院发票", False),
        ("王小明", "resident", "reply", "发票在路上，明天拍照发来", True),
        ("wang", "staff", "message", "好的，收到后我们尽快审核", False),
    ]
    asked = next(e for e in entries if e["action"] == "request_info")
    assert asked["body"] == "请提供住院发票"
    assert asked["internal"] is True
    assert any(e["kind"] == "notice" and e["notice_kind"] == "message" for e in entries)
    history = await (await client.get(f"/api/v1/applications/{number}/history", headers=auth(tokens["wang"]))).json()
    assert next(e for e in history if e["action"] == "request_info")["note"] == "请提供住院发票"
    # Read once by the supervisor: no longer unread.
    again = await (await client.get(thread, headers=auth(tokens["wang"]))).json()
    assert not any(e["unread"] for e in again)


async def test_bad_and_foreign_requests_are_refused_naming_the_field(client, tokens):
    number = await _created(client, tokens)
    thread = f"/api/v1/applications/{number}/thread"
    for body in ({"body": ""}, {"body": "   "}, {}):
        response = await client.post(thread, json=body, headers=auth(tokens["wang"]))
        assert response.status == 422 and (await response.json())["fields"][0]["field"] == "body", body
    assert (await client.get(thread, headers=auth(tokens["zhao"]))).status == 403
    assert (await client.post(thread, json={"body": "hi"}, headers=auth(tokens["zhao"]))).status == 403
    assert (await client.get("/api/v1/applications/YM0/thread", headers=auth(tokens["wang"]))).status == 404
    stranger = await client.post(f"{thread}/resident", headers=auth(tokens["bot"]), json={
        "resident": {"channel": "telegram", "external_id": "someone-else"}, "body": "hi"})
    assert stranger.status in (403, 422)
    empty = await client.post(f"{thread}/resident", headers=auth(tokens["bot"]), json={
        "resident": {"channel": "telegram", "external_id": "tg-1"}, "body": ""})
    assert empty.status == 422 and (await empty.json())["fields"][0]["field"] == "body"


async def test_a_relayed_message_tells_the_assignee_on_telegram(client, tokens, database):
    async with database.engine.begin() as connection:
        await connection.execute(update(UserRow).where(UserRow.username == "wang").values(telegram_id="9001"))
    number = await _created(client, tokens)
    response = await client.post(f"/api/v1/applications/{number}/thread/resident", headers=auth(tokens["bot"]), json={
        "resident": {"channel": "telegram", "external_id": "tg-1"}, "body": "8号上午我要去医院复查，能改到下午吗？"})
    assert response.status == 201
    async with database.unit_of_work() as uow:
        pings = await uow.outbox.recent("telegram", "9001", limit=10)
    assert len(pings) == 1 and number in pings[0].payload["text"] and "王小明" in pings[0].payload["text"]
    # The resident's words stay in the console.
    assert "复查" not in pings[0].payload["text"]
