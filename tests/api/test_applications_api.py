"""The API end to end over HTTP: create, list, read, decide, notes, history, assess, errors."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from backend.db.models import ApplicationRow
from tests.api.conftest import auth, create_body
from tests.cases.helpers import NOW


async def create(client, token, body, key=None):
    headers = auth(token) | ({"Idempotency-Key": key} if key else {})
    response = await client.post("/api/v1/applications", json=body, headers=headers)
    return response.status, await response.json(), response.headers


async def new_case(client, tokens):
    """A case the bot created: its number, and how a member of staff acts on it (status, body)."""
    _, created, _ = await create(client, tokens["bot"], create_body())
    number = created["number"]

    async def act(who, **body):
        response = await client.post(f"/api/v1/applications/{number}/actions", json=body, headers=auth(tokens[who]))
        return response.status, await response.json()

    return number, act


async def test_a_created_application_is_assessed_and_assigned(client, tokens):
    status, body, _ = await create(client, tokens["bot"], create_body())
    assert status == 201
    assert body["number"] == "YM20261129000001" and body["status"] == "assigned" and body["office"] == "hubin"
    detail = await (await client.get(f"/api/v1/applications/{body['number']}", headers=auth(tokens["wang"]))).json()
    assert detail["assigned_to"] == "wang" and detail["layer"] == "dibao"
    assert detail["assessment"]["benefit_estimate"]["estimate"] is True
    assert "start_review" in detail["allowed_actions"]


async def test_a_retry_with_the_same_key_gets_the_first_response(client, tokens, database):
    first = await create(client, tokens["bot"], create_body(), key="turn-42")
    again = await create(client, tokens["bot"], create_body(), key="turn-42")
    assert first[0] == again[0] == 201 and first[1] == again[1]
    assert again[2].get("Idempotent-Replayed") == "true"
    changed = create_body()
    changed["application"]["applicant"]["mobile"] = "13900139000"
    status, body, _ = await create(client, tokens["bot"], changed, key="turn-42")
    assert status == 422 and body["error"] == "idempotency_mismatch"
    async with database.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(ApplicationRow)) == 1


async def test_concurrent_retries_with_one_key_create_one_application(client, tokens, database):
    results = await asyncio.gather(*(create(client, tokens["bot"], create_body(), key="k") for _ in range(6)))
    assert {(status, body["number"]) for status, body, _ in results} == {(201, "YM20261129000001")}
    async with database.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(ApplicationRow)) == 1


async def test_a_second_application_of_the_household_is_a_conflict_naming_the_open_one(client, tokens):
    _, first, _ = await create(client, tokens["bot"], create_body(resident="a"))
    status, body, _ = await create(client, tokens["bot"], create_body(resident="b"))
    assert status == 409 and body["error"] == "duplicate" and body["number"] == first["number"]


async def test_bad_bodies_get_4xx_naming_the_field(client, tokens):
    headers = auth(tokens["bot"])
    bad_id = create_body()
    bad_id["application"]["applicant"]["id_number"] = "110105198001010011"
    response = await client.post("/api/v1/applications", json=bad_id, headers=headers)
    body = await response.json()
    assert response.status == 422 and [f["field"] for f in body["fields"]] == ["application.applicant.id_number"]
    assert "110105198001010011" not in await response.text()
    no_members = create_body()
    no_members["application"]["members"] = []
    body = await (await client.post("/api/v1/applications", json=no_members, headers=headers)).json()
    assert body["fields"][0]["field"] == "application.members"
    unknown_office = create_body(office="nowhere")
    body = await (await client.post("/api/v1/applications", json=unknown_office, headers=headers)).json()
    assert body["error"] == "invalid" and body["fields"][0]["field"] == "application.region.office"
    response = await client.post("/api/v1/applications", data=b"{not json", headers=headers)
    assert response.status == 400 and (await response.json())["error"] == "bad_json"
    response = await client.post("/api/v1/applications", json={**create_body(), "extra": 1}, headers=headers)
    assert response.status == 422 and (await response.json())["fields"][0]["field"] == "extra"
    response = await client.post("/api/v1/applications", json={**create_body(), "document_ids": ["nope"]},
                                 headers=headers)
    assert response.status == 422 and (await response.json())["fields"][0]["field"] == "document_ids.0"


async def test_list_filters_and_pages_and_names_a_bad_filter(client, tokens):
    for serial in range(1, 4):
        await create(client, tokens["bot"], create_body(serial, resident=f"r{serial}"))
    await create(client, tokens["bot"], create_body(9, resident="r9", urgent=True))
    await create(client, tokens["bot"], create_body(8, office="wenchang", resident="r8"))
    headers = auth(tokens["wang"])
    body = await (await client.get("/api/v1/applications?limit=2", headers=headers)).json()
    assert body["total"] == 4 and len(body["items"]) == 2 and body["items"][0]["emergency"] is True
    body = await (await client.get("/api/v1/applications?emergency=true", headers=headers)).json()
    assert body["total"] == 1
    body = await (await client.get("/api/v1/applications?layer=tekun", headers=headers)).json()
    assert body["total"] == 0
    everything = await (await client.get("/api/v1/applications", headers=auth(tokens["root"]))).json()
    assert everything["total"] == 5
    response = await client.get("/api/v1/applications?level=7", headers=headers)
    assert response.status == 422 and (await response.json())["fields"][0]["field"] == "level"
    response = await client.get("/api/v1/applications?office=wenchang", headers=headers)
    assert response.status == 403


async def test_id_numbers_are_shown_to_office_staff_and_masked_for_an_administrator(client, tokens):
    _, created, _ = await create(client, tokens["bot"], create_body())
    url = f"/api/v1/applications/{created['number']}"
    full = await (await client.get(url, headers=auth(tokens["wang"]))).json()
    masked = await (await client.get(url, headers=auth(tokens["root"]))).json()
    real = full["application"]["applicant"]["id_number"]
    assert len(real) == 18 and real not in await (await client.get(url, headers=auth(tokens["root"]))).text()
    assert masked["application"]["applicant"]["id_number"] == real[:3] + "*" * 11 + real[-4:]
    assert masked["application"]["members"][0]["id_number"] == real[:3] + "*" * 11 + real[-4:]


async def test_a_case_is_decided_through_the_api_with_maker_checker(client, tokens):
    number, act = await new_case(client, tokens)
    status, body = await act("wang", action="approve")
    assert status == 409 and body == {"error": "illegal_transition",
                                      "message": "cannot approve a case that is assigned", "status": "assigned"}
    assert (await act("wang", action="start_review"))[0] == 200
    status, body = await act("wang", action="request_info")
    assert status == 422 and body["fields"][0]["field"] == "question"
    assert (await act("wang", action="propose", amount="680.50", package=["medical"]))[0] == 200
    status, body = await act("wang", action="approve")
    assert status == 409 and "second caseworker" in body["message"]
    status, body = await act("li", action="approve", note="复核通过")
    assert status == 200 and body["status"] == "approved"
    assert body["decision"]["amount"] == "680.50" and body["decision"]["approved_by"] == "li"
    assert (await act("wang", action="dance"))[1]["fields"][0]["field"] == "action"
    history = await (await client.get(f"/api/v1/applications/{number}/history", headers=auth(tokens["boss"]))).json()
    assert [(e["status"], e["actor"]) for e in history][-3:] == [
        ("under_review", "wang"), ("proposed", "wang"), ("approved", "li")
    ]
    assert history[-1]["note"] == "复核通过"


async def test_notes_are_added_and_listed(client, tokens):
    _, created, _ = await create(client, tokens["bot"], create_body())
    url = f"/api/v1/applications/{created['number']}/notes"
    response = await client.post(url, json={"body": "已电话联系申请人"}, headers=auth(tokens["wang"]))
    assert response.status == 201
    response = await client.post(url, json={"body": ""}, headers=auth(tokens["wang"]))
    assert response.status == 422 and (await response.json())["fields"][0]["field"] == "body"
    notes = await (await client.get(url, headers=auth(tokens["li"]))).json()
    assert [(n["author"], n["body"]) for n in notes] == [("wang", "已电话联系申请人")]
    assert (await client.get("/api/v1/applications/YM0/notes", headers=auth(tokens["li"]))).status == 404


async def test_assess_a_household_with_an_explanation(client, tokens):
    household = {k: v for k, v in create_body()["application"].items()
                 if k in ("members", "other_income", "assets", "rigid_spending", "housing", "hardship", "region")}
    response = await client.post("/api/v1/assess", json={"household": household, "date": "2025-06-01", "lang": "en"},
                                 headers=auth(tokens["bot"]))
    body = await response.json()
    assert response.status == 200 and body["assessment"]["layer"] == "dibao"
    assert body["assessment"]["date"] == "2025-06-01"
    assert any("¥1,000" in sentence for sentence in body["explanation"])
    response = await client.post("/api/v1/assess", json={"household": household, "region": "atlantis"},
                                 headers=auth(tokens["bot"]))
    assert response.status == 422 and (await response.json())["fields"][0]["field"] == "region"
    response = await client.post("/api/v1/assess", json={"household": household, "date": "1999-01-01"},
                                 headers=auth(tokens["bot"]))
    assert response.status == 422 and (await response.json())["fields"][0]["field"] == "date"


async def test_without_a_valid_token_the_api_answers_401(client, tokens):
    response = await client.get("/api/v1/me")
    assert response.status == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await client.get("/api/v1/me", headers=auth("ym_wrong"))).status == 401
    me = await (await client.get("/api/v1/me", headers=auth(tokens["boss"]))).json()
    assert me == {"username": "boss", "display_name": "boss", "role": "supervisor", "office": "hubin"}


async def test_the_openapi_document_describes_every_route_and_its_references_resolve(client):
    response = await client.get("/api/v1/openapi.json")
    document = await response.json()
    assert response.status == 200 and document["openapi"].startswith("3.")
    operations = {(m.upper(), p) for p, item in document["paths"].items() for m in item}
    routes = {(r.method, r.resource.canonical) for r in client.server.app.router.routes()
              if r.resource.canonical.startswith("/api/v1") and r.method != "HEAD"}
    assert operations == routes - {("GET", "/api/v1/openapi.json")}
    schemas = document["components"]["schemas"]

    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    assert {ref.rsplit("/", 1)[1] for ref in refs(document)} <= schemas.keys()
    create_op = document["paths"]["/api/v1/applications"]["post"]
    assert create_op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateApplication"
    }


async def test_a_broadcast_reaches_the_residents_of_a_segment_each_in_their_language(client, tokens, database):
    from backend.cases.notices import render_notice
    from locales import Translations

    for serial in range(1, 4):
        await create(client, tokens["bot"], create_body(serial, resident=f"r{serial}"))
    await create(client, tokens["bot"], create_body(4, resident="r4", urgent=True))
    await create(client, tokens["bot"], create_body(5, office="wenchang", resident="r5"))
    message = {"zh_CN": "本周六社区义诊", "en": "Free clinic this Saturday"}
    response = await client.post("/api/v1/broadcasts", json={"emergency": False, "message": message},
                                 headers=auth(tokens["boss"]))
    assert response.status == 202 and await response.json() == {"residents": 3}  # hubin, not urgent
    response = await client.post("/api/v1/broadcasts", json={"office": "wenchang", "message": message},
                                 headers=auth(tokens["boss"]))
    assert response.status == 403
    response = await client.post("/api/v1/broadcasts", json={"message": {"zh_CN": "只有中文"}},
                                 headers=auth(tokens["root"]))
    assert response.status == 422 and (await response.json())["fields"][0]["field"] == "message.en"
    async with database.unit_of_work() as uow:
        resident = (await uow.residents.identify("telegram", "r1", now=NOW))
        (notice,) = [n for n in await uow.notifications.for_resident(resident.id) if n.kind == "broadcast"]
    assert render_notice(notice, Translations()("en")) == "Free clinic this Saturday"
    assert render_notice(notice, Translations()("zh_CN")) == "本周六社区义诊"


async def test_credit_points_are_earned_shown_and_redeemed_once(client, tokens):
    task = {"volunteer_ref": "v7", "volunteer_name": "李华", "hours": "3", "task": "T-7"}
    response = await client.post("/api/v1/points/tasks", json=task, headers=auth(tokens["wang"]))
    assert response.status == 201 and (await response.json())["points"] == 30
    response = await client.post("/api/v1/points/codes", json={"holder": "volunteer", "ref": "v7", "points": 12},
                                 headers=auth(tokens["bot"]))
    code = (await response.json())["code"]
    first = await client.post("/api/v1/points/redemptions", json={"code": code}, headers=auth(tokens["shop"]))
    again = await client.post("/api/v1/points/redemptions", json={"code": code}, headers=auth(tokens["shop"]))
    assert first.status == 201 and (await first.json())["points"] == 12
    assert again.status == 422 and (await again.json())["fields"][0]["field"] == "code"
    account = await (await client.get("/api/v1/points/accounts/volunteer/v7", headers=auth(tokens["wang"]))).json()
    assert account["balance"] == 18 and [e["cause"] for e in account["entries"]] == ["redemption", "task"]
    shop = await (await client.get("/api/v1/points/accounts/merchant/shop", headers=auth(tokens["root"]))).json()
    assert shop["balance"] == 12
    response = await client.post("/api/v1/points/codes", json={"holder": "volunteer", "ref": "v7", "points": 19},
                                 headers=auth(tokens["bot"]))
    assert response.status == 422 and "balance is 18" in (await response.json())["message"]
    response = await client.post("/api/v1/points/redemptions", json={"code": "12ab"}, headers=auth(tokens["shop"]))
    assert response.status == 422 and (await response.json())["fields"][0]["field"] == "code"
    assert (await client.get("/api/v1/points/accounts/robot/x", headers=auth(tokens["wang"]))).status == 422
    assert (await client.get("/api/v1/points/accounts/volunteer/nobody", headers=auth(tokens["wang"]))).status == 404


async def test_projects_list_their_places_and_referrals(client, tokens, database):
    from backend.cases.offers import answer_offer
    from backend.policy.projects import load_projects

    # The applicant is 46 and seriously ill: the serious-illness fund fits and is offered.
    body = create_body()
    body["application"]["members"][0]["health"] = "serious"
    status, created, _ = await create(client, tokens["bot"], body)
    async with database.unit_of_work() as uow:
        resident = await uow.residents.identify("telegram", "tg-1", now=NOW)
        (offer,) = [o for o in await uow.offers.open_for(resident.id, now=NOW) if o.kind == "project"]
        answer = await answer_offer(uow, load_projects("demo"), resident_id=resident.id,
                                    offer_id=offer.id, accepted=True, now=NOW)
        await uow.commit()
    assert answer.key == "offer.accepted"
    projects = await (await client.get("/api/v1/projects", headers=auth(tokens["wang"]))).json()
    assert [(p["id"], p["taken"]) for p in projects] == [("warm_winter", 0), ("serious_illness_aid", 1),
                                                         ("elder_meals", 0)]
    referrals = await client.get("/api/v1/projects/serious_illness_aid/referrals", headers=auth(tokens["wang"]))
    assert referrals.status == 200 and [r["application_number"] for r in await referrals.json()] == [created["number"]]
    assert (await client.get("/api/v1/projects/nope/referrals", headers=auth(tokens["wang"]))).status == 404


async def test_a_checker_returns_or_rejects_with_the_packs_reasons_and_4xx_names_a_bad_code(client, tokens):
    number, act = await new_case(client, tokens)
    assert (await act("wang", action="start_review"))[0] == 200
    status, body = await act("wang", action="propose", amount="680.50")
    # The proposer is not offered approval (nor returning their own proposal); the checker is.
    assert status == 200 and "approve" not in body["allowed_actions"] and "return" not in body["allowed_actions"]
    li = await (await client.get(f"/api/v1/applications/{number}", headers=auth(tokens["li"]))).json()
    assert {"approve", "return", "reject"} <= set(li["allowed_actions"])
    status, body = await act("li", action="return")
    assert status == 422 and body["fields"][0]["field"] == "note"
    status, body = await act("li", action="return", note="金额计算有误，应重新核算")
    assert status == 200 and body["status"] == "under_review" and body["decision"]["outcome"] == "returned"
    history = await (await client.get(f"/api/v1/applications/{number}/history", headers=auth(tokens["wang"]))).json()
    assert (history[-1]["action"], history[-1]["actor"], history[-1]["note"]) == (
        "return", "li", "金额计算有误，应重新核算")
    status, body = await act("li", action="reject", reason_codes=["income_above_line", "too_rich"])
    assert status == 422 and body["fields"][0]["field"] == "reason_codes" and "too_rich" in body["message"]
    status, body = await act("li", action="reject", reasons=["收入核对不符"])
    assert status == 422 and body["fields"][0]["field"] == "reasons"  # free-text reasons are gone
    status, body = await act("li", action="reject", reason_codes=["income_above_line"], note="收入核对不符",
                             resident_text="Please apply again if your income falls.")
    assert status == 200 and body["status"] == "rejected"
    assert body["decision"]["reason_codes"] == ["income_above_line"]
