"""Every page of the console renders for each role, in both languages, on an empty and a full office."""

from __future__ import annotations

import pytest

from tests.cases.helpers import payload, submit
from tests.console.conftest import sign_in

PAGES = ("/console/queue", "/console/escalations", "/console/escalations/live", "/console/alerts",
         "/console/volunteers", "/console/points", "/console/projects", "/console/dashboard", "/console/visits")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
async def test_every_page_renders_for_every_role(client, staff, database, lang):
    number = await submit(database, payload(1, "hubin", urgent=True))
    for username in ("wang", "boss", "root"):
        client.session.cookie_jar.clear()
        response = await sign_in(client, username, lang=lang)
        assert response.status == 200, await response.text()
        for path in (*PAGES, f"/console/cases/{number}"):
            page = await client.get(path)
            assert page.status == 200, (username, path, await page.text())
            assert "Content-Security-Policy" in page.headers
