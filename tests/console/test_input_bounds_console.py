"""The console renders whatever a stored row holds, and answers out-of-range numbers in its address
with its HTML error page at 4xx, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from backend.db.models import ApplicationRow
from tests.cases.helpers import payload, submit
from tests.console.conftest import sign_in

EDGES = {
    "year 9999": datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    "year 1": datetime(1, 1, 1, 0, 0, tzinfo=UTC),
}


@pytest.mark.parametrize("at", list(EDGES.values()), ids=list(EDGES))
async def test_a_stored_time_at_the_edge_of_the_calendar_still_renders(client, staff, database, at):
    number = await submit(database, payload(1, "hubin"))
    # Written straight into the database, as an older version or a bulk import could have.
    async with database.engine.begin() as connection:
        application = (await connection.execute(
            ApplicationRow.__table__.select().where(ApplicationRow.number == number))).mappings().one()
        stored = {**application["payload"], "submitted_at": at.isoformat()}
        await connection.execute(update(ApplicationRow).where(ApplicationRow.number == number)
                                 .values(submitted_at=at, deadline_at=at, updated_at=at, payload=stored))
    for username in ("wang", "root"):
        client.session.cookie_jar.clear()
        await sign_in(client, username)
        for path in ("/console/queue", f"/console/cases/{number}", "/console/dashboard"):
            page = await client.get(path)
            assert page.status == 200, (username, path, await page.text())
        assert str(at.year) in await (await client.get("/console/queue")).text()


TOO_LARGE = "99999999999999999999"


@pytest.mark.parametrize(("path", "status"), [
    (f"/console/queue?page={TOO_LARGE}", 400),
    (f"/console/queue?page={2**31}", 400),
    ("/console/queue?page=\u00b2", 400),
    ("/console/queue?page=0", 400),
    ("/console/queue?level=\u00b2", 200),
    (f"/console/queue?level={TOO_LARGE}", 200),
    ("/console/queue?page=1", 200),
    (f"/console/escalations/{TOO_LARGE}", 404),
    ("/console/escalations/\u00b2", 404),
    (f"/console/escalations/{2**31}", 404),
], ids=["page too large", "page past INTEGER", "page in superscript", "page zero", "level in superscript",
        "level too large", "page one", "ticket too large", "ticket in superscript", "ticket past INTEGER"])
async def test_a_number_out_of_range_in_the_address_is_an_error_page_not_a_500(client, staff, path, status):
    await sign_in(client, "wang")
    page = await client.get(path)
    assert page.status == status, await page.text()
    assert page.content_type == "text/html"
    if status == 400:
        assert "a page or a number out of range" in await page.text()


@pytest.mark.parametrize("path", ["/console/cases/A%00B", "/console/queue?office=hub%00in"])
async def test_nul_in_a_console_address_is_a_4xx(client, staff, path):
    await sign_in(client, "root")
    page = await client.get(path)
    assert 400 <= page.status < 500, await page.text()
