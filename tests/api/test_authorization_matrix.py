"""Who may call what: every endpoint against every role, and office scopes. The table is the spec."""

from __future__ import annotations

import pytest

from backend.api.routes import ENDPOINTS
from tests.api.conftest import auth, create_body

WHO = ("anonymous", "wang", "zhao", "boss", "root", "bot", "shop")
# wang, boss: caseworker and supervisor of hubin (the case's office); zhao: caseworker of wenchang;
# root: administrator; bot: the bot's service account; shop: a charity merchant.
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/api/v1/me"): (401, 200, 200, 200, 200, 200, 200),
    ("POST", "/api/v1/applications"): (401, 201, 403, 201, 201, 201, 403),
    ("GET", "/api/v1/applications"): (401, 200, 200, 200, 200, 403, 403),
    ("GET", "/api/v1/applications/{number}"): (401, 200, 403, 200, 200, 403, 403),
    ("POST", "/api/v1/applications/{number}/actions"): (401, 200, 403, 200, 200, 403, 403),
    ("GET", "/api/v1/applications/{number}/history"): (401, 200, 403, 200, 200, 403, 403),
    ("GET", "/api/v1/applications/{number}/notes"): (401, 200, 403, 200, 200, 403, 403),
    ("POST", "/api/v1/applications/{number}/notes"): (401, 201, 403, 201, 201, 403, 403),
    # Only office staff write to a resident; only an integration relays a resident's words.
    ("GET", "/api/v1/applications/{number}/thread"): (401, 200, 403, 200, 200, 403, 403),
    ("POST", "/api/v1/applications/{number}/thread"): (401, 201, 403, 201, 403, 403, 403),
    ("POST", "/api/v1/applications/{number}/thread/resident"): (401, 403, 403, 403, 403, 201, 403),
    ("POST", "/api/v1/broadcasts"): (401, 403, 403, 202, 202, 403, 403),
    ("POST", "/api/v1/points/donations"): (401, 201, 201, 201, 201, 403, 403),
    ("POST", "/api/v1/points/tasks"): (401, 201, 201, 201, 201, 403, 403),
    ("POST", "/api/v1/points/reversals"): (401, 403, 403, 201, 201, 403, 403),
    ("POST", "/api/v1/points/codes"): (401, 403, 403, 403, 201, 201, 403),
    ("POST", "/api/v1/points/redemptions"): (401, 403, 403, 403, 201, 403, 201),
    ("GET", "/api/v1/points/accounts/{holder}/{ref}"): (401, 200, 200, 200, 200, 200, 403),
    ("POST", "/api/v1/funds"): (401, 403, 403, 201, 201, 403, 403),
    # The fund is held by the merchant "shop", who may read it.
    ("GET", "/api/v1/funds/{code}"): (401, 200, 200, 200, 200, 403, 200),
    ("POST", "/api/v1/funds/{code}/donations"): (401, 201, 201, 201, 201, 403, 403),
    ("POST", "/api/v1/funds/{code}/spending"): (401, 201, 201, 201, 201, 403, 403),
    ("POST", "/api/v1/funds/{code}/corrections"): (401, 403, 403, 201, 201, 403, 403),
    ("GET", "/api/v1/projects"): (401, 200, 200, 200, 200, 403, 403),
    ("GET", "/api/v1/projects/{project}/referrals"): (401, 200, 200, 200, 200, 403, 403),
    ("POST", "/api/v1/tasks"): (401, 201, 403, 201, 201, 403, 403),
    ("GET", "/api/v1/tasks/{task}"): (401, 200, 403, 200, 200, 403, 403),
    ("POST", "/api/v1/tasks/{task}/schedule"): (401, 200, 403, 200, 200, 403, 403),
    ("GET", "/api/v1/tasks/{task}/volunteer-view"): (401, 200, 403, 200, 200, 403, 403),
    ("GET", "/api/v1/applications/{number}/tasks"): (401, 200, 403, 200, 200, 403, 403),
    # The volunteer covers hubin only.
    ("GET", "/api/v1/volunteers/{volunteer}"): (401, 200, 403, 200, 200, 403, 403),
    ("POST", "/api/v1/volunteers/{volunteer}/skills/{skill}/qualification"): (401, 200, 403, 200, 200, 403, 403),
    ("POST", "/api/v1/assess"): (401, 200, 200, 200, 200, 200, 200),
    # The alert belongs to hubin; each caller acknowledges an alert of their own.
    ("GET", "/api/v1/alerts"): (401, 200, 200, 200, 200, 403, 403),
    ("GET", "/api/v1/alerts/{alert}"): (401, 200, 403, 200, 200, 403, 403),
    ("POST", "/api/v1/alerts/{alert}/actions"): (401, 200, 403, 200, 200, 403, 403),
    # A department signs its pushes: no bearer token is worth anything there.
    ("POST", "/api/v1/feeds/{source}/events"): (401, 401, 401, 401, 401, 401, 401),
    ("GET", "/api/v1/openapi.json"): (200, 200, 200, 200, 200, 200, 200),
}


def test_the_matrix_covers_every_endpoint():
    assert {(e.method, e.path) for e in ENDPOINTS} | {("GET", "/api/v1/openapi.json")} == set(MATRIX)


def _body(method: str, path: str, serial: int, ledger: dict) -> dict | list | None:
    if path == "/api/v1/applications" and method == "POST":
        return create_body(serial, resident=f"r{serial}")
    if path.endswith("/alerts/{alert}/actions"):
        return {"action": "acknowledge"}
    if path.endswith("/events"):
        return [{"record_id": f"R{serial}"}]
    if path.endswith("/actions"):
        return {"action": "assign", "assignee": "li"}
    if path.endswith("/thread/resident"):
        return {"resident": {"channel": "telegram", "external_id": "owner"}, "body": "8号上午我要去医院复查"}
    if path.endswith("/thread") and method == "POST":
        return {"body": "8号下午可以"}
    if path.endswith("/notes") and method == "POST":
        return {"body": "note"}
    if path == "/api/v1/points/donations":
        return {"donor": {"holder": "enterprise", "ref": "e1", "name": "超市"}, "kind": "money", "amount": "100"}
    if path == "/api/v1/points/tasks":
        return {"volunteer_ref": "v1", "volunteer_name": "李华", "hours": "1", "task": f"T{serial}"}
    if path == "/api/v1/points/reversals":
        return {"transaction": ledger["transactions"][serial], "reason": "correction"}
    if path == "/api/v1/points/codes":
        return {"holder": "volunteer", "ref": "v-matrix", "points": 1}
    if path == "/api/v1/points/redemptions":
        return {"code": ledger["codes"][serial]}
    if path == "/api/v1/funds":
        return {"code": f"matrix-{serial}", "name": "基金", "holder": "enterprise", "holder_ref": "e1"}
    if path.endswith("/donations"):
        return {"amount": "1.00", "ref": f"R{serial}"}
    if path.endswith("/spending"):
        return {"amount": "1.00", "ref": "warm_winter"}  # spending names a charity project that exists
    if path.endswith("/corrections"):
        return {"entry": ledger["fund_entries"][serial], "reason": "correction"}
    if path == "/api/v1/broadcasts":
        return {"message": {"zh_CN": "通知", "en": "Notice"}}
    if path == "/api/v1/tasks":
        return {"skill": "companion", "office": "hubin", "given_name": "秀英", "address": "湖滨路 8 号",
                "starts_at": "2026-12-01T09:00:00+08:00", "ends_at": "2026-12-01T10:00:00+08:00",
                "duration_minutes": 60}
    if path.endswith("/schedule"):
        return {"address": "湖滨路 8 号", "starts_at": "2026-12-01T09:00:00+08:00",
                "ends_at": "2026-12-01T10:00:00+08:00"}
    if path == "/api/v1/assess":
        application = create_body()["application"]
        return {"household": {k: application[k] for k in ("members", "assets", "housing")}}
    return None


async def _ledger(database) -> dict:
    """A volunteer with points, one transaction and one code for each caller to use up."""
    from decimal import Decimal

    from backend.points.ledger import Ledger
    from backend.points.ports import Holder
    from tests.cases.helpers import NOW, PACK

    ledger, made = Ledger(PACK), {"transactions": {}, "codes": {}}
    async with database.unit_of_work() as uow:
        await ledger.credit_task(uow, "v-matrix", "李华", hours=Decimal(20), task="T0", by="test", now=NOW)
        for serial in range(1, len(WHO) + 1):
            made["transactions"][serial], _ = await ledger.credit_task(
                uow, "v-matrix", "李华", hours=Decimal(1), task=f"R{serial}", by="test", now=NOW)
            made["codes"][serial] = await ledger.issue_code(uow, Holder.VOLUNTEER, "v-matrix", points=1, now=NOW)
        await uow.commit()
    return made


async def _fund(database, made: dict) -> None:
    """A merchant's fund with money, and one donation for each caller to correct."""
    from decimal import Decimal

    from backend.points import funds
    from backend.points.fund_ports import FundHolder
    from tests.cases.helpers import NOW

    async with database.unit_of_work() as uow:
        await funds.create_fund(uow, code="matrix-shop", name="小店基金", holder=FundHolder.MERCHANT, holder_ref="shop",
                                by="test", now=NOW)
        await funds.donate(uow, "matrix-shop", amount=Decimal(100), ref="seed", by="test", now=NOW)
        made["fund_entries"] = {}
        for serial in range(1, len(WHO) + 1):
            entry = await funds.donate(uow, "matrix-shop", amount=Decimal(1), ref=f"C{serial}", by="test", now=NOW)
            made["fund_entries"][serial] = entry.id
        await uow.commit()


async def _volunteering(database, made: dict, number: str) -> None:
    """A hubin volunteer, a task of the case, and one requested task for each caller to schedule."""
    from tests.cases.helpers import NOW
    from tests.volunteers.helpers import VOLUNTEERING, spec, volunteer

    helper = await volunteer(database, "matrix-volunteer", skills=("companion",), qualified=())
    made["volunteer"] = helper.id
    async with database.unit_of_work() as uow:
        made["task"] = (await uow.tasks.add(spec(number=number), created_by="test", at=NOW)).id
        made["requested"] = {}
        for serial in range(1, len(WHO) + 1):
            task = await VOLUNTEERING.request_task(uow, resident_id=helper.resident_id, number=None, office="hubin",
                                                   skill="companion", given_name="秀英", duration_minutes=60, now=NOW)
            made["requested"][serial] = task.id
        await uow.commit()


async def _alerts(database, made: dict) -> None:
    """A household of hubin with an alert, and one alert for each caller to acknowledge."""
    from tests.monitoring.seed import add_alert, add_household, household, member

    seeded = await add_household(database, household(member("self", 45, income="3500"), office="hubin"))
    made["alert"] = await add_alert(database, seeded.id)
    made["alerts"] = {serial: await add_alert(database, seeded.id) for serial in range(1, len(WHO) + 1)}


@pytest.mark.parametrize(("method", "path"), list(MATRIX))
async def test_authorization(client, tokens, database, method, path):
    created = await client.post("/api/v1/applications", json=create_body(99, resident="owner"),
                                headers=auth(tokens["bot"]))
    number = (await created.json())["number"]
    ledger = await _ledger(database)
    await _fund(database, ledger)
    await _volunteering(database, ledger, number)
    await _alerts(database, ledger)
    got = []
    for serial, who in enumerate(WHO, start=1):
        headers = auth(tokens[who]) if who in tokens else {}
        url = path.replace("{number}", number).replace("{holder}/{ref}", "volunteer/v-matrix")
        url = url.replace("{project}", "warm_winter").replace("{code}", "matrix-shop")
        # Each caller schedules a task of their own (a task is scheduled once).
        url = url.replace("{task}", str(ledger["requested"][serial] if path.endswith("/schedule") else ledger["task"]))
        url = url.replace("{volunteer}", str(ledger["volunteer"])).replace("{skill}", "companion")
        url = url.replace("{alert}", str(ledger["alerts"][serial] if path.endswith("/actions") else ledger["alert"]))
        url = url.replace("{source}", "medical")
        response = await client.request(method, url, json=_body(method, path, serial, ledger), headers=headers)
        got.append(response.status)
    assert tuple(got) == MATRIX[(method, path)], dict(zip(WHO, got, strict=True))
