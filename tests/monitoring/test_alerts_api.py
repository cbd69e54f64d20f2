"""The alert endpoints: office staff list, read and act on their office's alerts; every action audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api import conftest as api_fixtures
from tests.api.conftest import auth
from tests.monitoring.seed import NOW, add_alert, add_household, household, member

# The API's fixtures, bound here so that pytest finds them by name (an assignment, not an import, so
# that the tests' parameters of the same names do not read as redefinitions).
client, config, tokens = api_fixtures.client, api_fixtures.config, api_fixtures.tokens


@pytest.fixture
async def alerts(database) -> dict[str, int]:
    """Alerts of hubin (one overdue, one due later, one acted on) and one of wenchang."""
    hubin = (await add_household(database, household(member("self", 45, income="3500"), office="hubin"),
                                 code="HB-1")).id
    wenchang = (await add_household(database, household(member("self", 40, income="3000"), office="wenchang"))).id
    return {
        "late": await add_alert(database, hubin, created_at=NOW - timedelta(days=3)),
        "due": await add_alert(database, hubin, trigger="medical_spending", reason={
            "rule": "medical_spending", "test": "medical_spending",
            "params": {"spent": "12000.00", "days": 30, "until": "2026-11-29", "share": None, "amount": "10000"}}),
        "done": await add_alert(database, hubin, status="acted", created_at=NOW - timedelta(days=5)),
        "other": await add_alert(database, wenchang, office="wenchang"),
    }


async def test_office_staff_list_their_office_alerts_open_ones_first(client, tokens, alerts) -> None:
    response = await client.get("/api/v1/alerts", headers=auth(tokens["wang"]))
    assert response.status == 200
    body = await response.json()
    assert [a["id"] for a in body["items"]] == [alerts["late"], alerts["due"], alerts["done"]]
    assert body["total"] == 3 and body["limit"] == 50
    late, due = body["items"][0], body["items"][1]
    assert late["overdue"] is True and due["overdue"] is False
    assert late["household_code"] == "HB-1" and late["allowed_actions"] == ["acknowledge", "dismiss"]
    assert due["reason_text"] == {"zh_CN": "医疗自付 ¥12,000.00（30 天内）",
                                  "en": "out-of-pocket medical spending of CN¥12,000.00 in 30 days"}
    assert "trace" not in late


@pytest.mark.parametrize(
    ("query", "expected"),
    [("status=acted", ["done"]), ("overdue=true", ["late"]), ("overdue=false", ["due", "done"]),
     ("limit=1&offset=1", ["due"])],
)
async def test_the_list_filters_and_pages(client, tokens, alerts, query: str, expected: list[str]) -> None:
    body = await (await client.get(f"/api/v1/alerts?{query}", headers=auth(tokens["boss"]))).json()
    assert [a["id"] for a in body["items"]] == [alerts[name] for name in expected]


async def test_a_bad_filter_is_named(client, tokens, alerts) -> None:
    response = await client.get("/api/v1/alerts?status=closed", headers=auth(tokens["wang"]))
    assert response.status == 422
    assert [f["field"] for f in (await response.json())["fields"]] == ["status"]


async def test_another_office_is_forbidden(client, tokens, alerts) -> None:
    assert (await client.get("/api/v1/alerts?office=hubin", headers=auth(tokens["zhao"]))).status == 403
    assert (await client.get(f"/api/v1/alerts/{alerts['late']}", headers=auth(tokens["zhao"]))).status == 403
    response = await client.post(f"/api/v1/alerts/{alerts['late']}/actions", json={"action": "acknowledge"},
                                 headers=auth(tokens["zhao"]))
    assert response.status == 403
    own = await (await client.get("/api/v1/alerts", headers=auth(tokens["zhao"]))).json()
    assert [a["id"] for a in own["items"]] == [alerts["other"]]
    every = await (await client.get("/api/v1/alerts", headers=auth(tokens["root"]))).json()
    assert every["total"] == 4


async def test_acknowledge_then_act_with_a_note_and_read_the_history(client, tokens, alerts) -> None:
    url = f"/api/v1/alerts/{alerts['late']}"
    acknowledged = await client.post(f"{url}/actions", json={"action": "acknowledge"}, headers=auth(tokens["wang"]))
    assert acknowledged.status == 200
    assert (await acknowledged.json())["status"] == "acknowledged"
    acted = await client.post(f"{url}/actions", json={"action": "act", "note": "home visit booked"},
                              headers=auth(tokens["li"]))
    body = await acted.json()
    assert acted.status == 200 and body["status"] == "acted" and body["closed_by"] == "li"
    assert body["allowed_actions"] == []
    detail = await (await client.get(url, headers=auth(tokens["boss"]))).json()
    assert detail["trace"] == {"before": {"layer": "watch"}, "after": {"layer": "dibao"}}
    assert [(h["action"], h["actor"], h["details"].get("note")) for h in detail["history"]] == [
        ("alert.acknowledge", "wang", None), ("alert.act", "li", "home visit booked")]


async def test_an_illegal_action_is_a_conflict_naming_the_status(client, tokens, alerts) -> None:
    response = await client.post(f"/api/v1/alerts/{alerts['done']}/actions", json={"action": "acknowledge"},
                                 headers=auth(tokens["wang"]))
    assert response.status == 409
    body = await response.json()
    assert body["error"] == "illegal_transition" and body["status"] == "acted"
    assert "cannot acknowledge an alert that is acted" in body["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"action": "dismiss"}, "reason"), ({"action": "fix"}, "action"), ({"action": "dismiss", "reason": "x" * 2001},
                                                                         "reason")],
)
async def test_a_bad_action_names_its_field(client, tokens, alerts, body: dict, field: str) -> None:
    response = await client.post(f"/api/v1/alerts/{alerts['late']}/actions", json=body, headers=auth(tokens["wang"]))
    assert response.status == 422
    assert field in [f["field"] for f in (await response.json())["fields"]]


async def test_reading_an_alert_is_audited(client, tokens, alerts, database) -> None:
    await client.get(f"/api/v1/alerts/{alerts['due']}", headers=auth(tokens["wang"]))
    async with database.unit_of_work() as uow:
        trail = await uow.audit.for_target(f"alert:{alerts['due']}")
    assert [(e.action, e.actor) for e in trail] == [("alert.read", "wang")]


async def test_an_unknown_alert_is_not_found(client, tokens, alerts) -> None:
    assert (await client.get("/api/v1/alerts/999999", headers=auth(tokens["root"]))).status == 404
    assert (await client.get("/api/v1/alerts/abc", headers=auth(tokens["root"]))).status == 404
