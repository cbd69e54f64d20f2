"""Alerts as work items in the console: the list says why in words with the layer and level before
and after and the events, filtered by office, rule, status and time left; an alert's page explains
it, shows the household and takes the actions (each audited, only by whom the service allows, only
with the form's CSRF token); the home-visit list prints each household with its link's QR code."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from backend.db.models import AlertRow, AuditRow
from tests.console.alerts_seed import Raised, raise_alerts
from tests.console.conftest import csrf_in, post_form, sign_in
from tests.monitoring.seed import TODAY


@pytest.fixture
async def raised(database) -> Raised:
    return await raise_alerts(database)


def _listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-alert="(\d+)"', html)]


async def _alert(database, alert_id: int) -> AlertRow:
    async with database.engine.connect() as connection:
        return (await connection.execute(select(AlertRow).where(AlertRow.id == alert_id))).one()


async def _audit(database, alert_id: int) -> list[tuple[str, str]]:
    async with database.engine.connect() as connection:
        rows = await connection.execute(select(AuditRow.actor, AuditRow.action)
                                        .where(AuditRow.target == f"alert:{alert_id}").order_by(AuditRow.id))
        return [tuple(r) for r in rows]


async def test_the_list_says_why_in_the_readers_language(client, staff, raised) -> None:
    await sign_in(client, "wang", lang="zh_CN")
    page = await (await client.get("/console/alerts")).text()
    assert _listed(page) == [raised.death, raised.medical]  # the office's own, nearest deadline first
    assert "医疗自付 ¥9,958.00（30 天内），占家庭年收入的 46.1%" in page
    assert "医疗支出大" in page and "待上门走访" in page and "医疗自付" in page
    assert "三级 → 二级" in page  # the resilience level before and after
    shown = re.sub(r"<[^>]+>", " ", page)  # what a reader sees: no tags, no attribute values
    for raw in ("medical_spending", "out_of_pocket", "visit", "earner_lost", "dibao", "new"):
        assert not re.search(rf"\b{raw}\b", shown), raw
    assert "1 户待上门走访" in page and 'href="/console/visits"' in page


async def test_the_list_in_english_with_before_and_after(client, staff, raised) -> None:
    await sign_in(client, "wang")
    page = await (await client.get("/console/alerts")).text()
    row = page[page.index(f'data-alert="{raised.medical}"'):]
    row = row[:row.index("</tr>")]
    assert "out-of-pocket medical spending of CN¥9,958.00 in 30 days (46.1% of the household" in row
    assert "Resilience" not in row and "→" in row and "listed for a home visit" in row


@pytest.mark.parametrize(("query", "expected"), [
    ("rule=medical_spending", ["medical"]),
    ("rule=earner_lost", ["death"]),
    ("left=day", ["death"]),
    ("left=later", ["medical"]),
    ("left=overdue", []),
    ("status=acted", []),
    ("status=new", ["death", "medical"]),
    ("rule=no_such_rule", ["death", "medical"]),  # an unknown choice filters nothing
])
async def test_the_filters(client, staff, raised, query: str, expected: list[str]) -> None:
    await sign_in(client, "boss")
    page = await (await client.get(f"/console/alerts?{query}")).text()
    assert _listed(page) == [getattr(raised, name) for name in expected]


async def test_an_administrator_filters_by_office(client, staff, raised) -> None:
    await sign_in(client, "root")
    assert set(_listed(await (await client.get("/console/alerts")).text())) == {raised.medical, raised.death,
                                                                                 raised.other_office}
    only = _listed(await (await client.get("/console/alerts?office=wenchang")).text())
    assert only == [raised.other_office]


async def test_office_staff_cannot_pick_another_office(client, staff, raised) -> None:
    await sign_in(client, "zhao")
    assert _listed(await (await client.get("/console/alerts?office=hubin")).text()) == [raised.other_office]


async def test_the_alert_page_explains_and_shows_the_household(client, staff, raised, database) -> None:
    await sign_in(client, "wang", lang="zh_CN")
    response = await client.get(f"/console/alerts/{raised.medical}")
    assert response.status == 200
    page = await response.text()
    assert "医疗自付 ¥9,958.00（30 天内），占家庭年收入的 46.1%" in page
    assert re.search(r'id="level-before">三级<', page) and re.search(r'id="level-after">二级<', page)
    assert "HB-0007" in page and "成员0" in page  # the head of the household by name
    assert "配偶" in page and "学生" in page
    assert await _audit(database, raised.medical) == [("wang", "alert.read")]  # the trace was read


async def test_acknowledge_schedule_a_visit_take_the_link_and_dismiss(client, staff, raised, database) -> None:
    await sign_in(client, "wang")
    url = f"/console/alerts/{raised.death}"
    done = await post_form(client, f"{url}/actions", url, action="acknowledge")
    assert done.status == 200 and "The alert is acknowledged." in await done.text()
    assert (await _alert(database, raised.death)).status == "acknowledged"

    past = await post_form(client, f"{url}/actions", url, action="schedule_visit",
                           visit_on=TODAY.replace(day=TODAY.day - 1).isoformat())
    assert past.status == 422 and "A home visit needs a day, today or later." in await past.text()
    visit = await post_form(client, f"{url}/actions", url, action="schedule_visit",
                            visit_on=TODAY.replace(day=TODAY.day + 1).isoformat())
    assert visit.status == 200 and "the household is on the home-visit list" in await visit.text()
    assert (await _alert(database, raised.death)).visit_on == TODAY.replace(day=TODAY.day + 1)

    linked = await post_form(client, f"{url}/actions", url, action="link")
    page = await linked.text()
    assert linked.status == 200 and "link=1" in str(linked.url)
    assert re.search(r'id="link-target">/start apply-\d+-[0-9a-f]{24}<', page) and "<svg" in page

    empty = await post_form(client, f"{url}/actions", url, action="dismiss", reason=" ")
    assert empty.status == 422 and "Dismissing an alert needs a reason." in await empty.text()
    dismissed = await post_form(client, f"{url}/actions", url, action="dismiss", reason="家属已申请低保")
    assert "The alert is dismissed." in await dismissed.text()
    row = await _alert(database, raised.death)
    assert (row.status, row.dismiss_reason, row.closed_by) == ("dismissed", "家属已申请低保", "wang")
    actions = [a for who, a in await _audit(database, raised.death) if a != "alert.read"]
    assert actions == ["alert.acknowledge", "alert.schedule_visit", "alert.link", "alert.dismiss"]
    closed = await (await client.get(url)).text()
    assert "This alert is closed" in closed and 'data-action="dismiss"' not in closed
    assert "dismissed the alert" in closed and "家属已申请低保" in closed


async def test_another_offices_caseworker_can_neither_read_nor_act(client, staff, raised, database) -> None:
    await sign_in(client, "zhao")
    url = f"/console/alerts/{raised.medical}"
    assert (await client.get(url)).status == 403
    own = f"/console/alerts/{raised.other_office}"
    refused = await post_form(client, f"{url}/actions", own, action="acknowledge")
    assert refused.status == 403
    assert (await _alert(database, raised.medical)).status == "new"
    assert await _audit(database, raised.medical) == []
    assert (await client.get("/console/alerts/999999")).status == 404


async def test_a_form_without_its_csrf_token_is_refused(client, staff, raised, database) -> None:
    await sign_in(client, "wang")
    url = f"/console/alerts/{raised.medical}"
    csrf_in(await (await client.get(url)).text())
    forged = await client.post(f"{url}/actions", data={"action": "dismiss", "reason": "x"})
    assert forged.status == 403
    wrong = await client.post(f"{url}/actions", data={"action": "dismiss", "reason": "x", "csrf": "not-it"})
    assert wrong.status == 403
    assert (await _alert(database, raised.medical)).status == "new"


async def test_the_home_visit_list_prints_each_household_with_its_qr_code(client, staff, raised, database) -> None:
    await sign_in(client, "wang", lang="zh_CN")
    response = await client.get("/console/visits")
    page = await response.text()
    assert response.status == 200
    assert re.findall(r'<li class="visit" data-alert="(\d+)"', page) == [str(raised.medical)]
    assert "HB-0007" in page and "成员0" in page and "湖滨" in page
    assert "医疗自付 ¥9,958.00（30 天内），占家庭年收入的 46.1%" in page
    assert page.count("<svg") == 1 and "/start apply-" in page and "尚未安排" in page
    assert ("wang", "alert.link") in await _audit(database, raised.medical)
    await sign_in(client, "zhao")
    assert "HB-0007" not in await (await client.get("/console/visits")).text()
