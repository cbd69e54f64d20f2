"""Alerts in a real Chromium: a caseworker filters the alert list, opens an alert, reads why it was
raised, acknowledges it, schedules a home visit and takes the pre-filled application's link (a QR
code); the home-visit list, reached from the alert list, shows the household and prints without
the console's chrome. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from backend.config import Config
from backend.staff.accounts import set_password
from tests.browser.console_pages import signed_in
from tests.cases.helpers import STAFF, add_staff
from tests.console.alerts_seed import raise_alerts
from tests.console.conftest import PASSWORD, console_application
from tests.monitoring.seed import NOW, TODAY


async def _staff(database) -> None:
    for name in ("wang", "zhao"):
        role, office = STAFF[name]
        await add_staff(database, name, role, office, display_name=name.capitalize())
        async with database.unit_of_work() as uow:
            await set_password(uow, name, PASSWORD)
            await uow.commit()


async def _submit(page, selector: str) -> None:
    async with page.expect_navigation():
        await page.click(selector)


async def test_an_alert_from_the_list_to_a_home_visit_in_chromium(browser, serve, artifacts: Path, database,
                                                                   database_url, tmp_path) -> None:
    config = Config(database_url=database_url, locale="zh_CN", data_dir=tmp_path / "data", secret_key=b"k",
                    telegram_bot_username="yimen_demo_bot")
    await _staff(database)
    raised = await raise_alerts(database)
    url = await serve(console_application(config, database, clock=lambda: NOW))

    context, page = await signed_in(browser, url, "wang", asking="/console/alerts")
    rows = page.locator("table.alerts tbody tr")
    assert await rows.count() == 2  # hubin's two; wenchang's is not listed
    await page.screenshot(path=str(artifacts / "console-alerts.png"), full_page=True)

    # Filter by rule, then by time left: the selects are a plain form.
    await page.select_option("select[name=rule]", "medical_spending")
    await _submit(page, "form.alert-filters button[type=submit]")
    assert "rule=medical_spending" in page.url
    assert await rows.count() == 1
    row = rows.first
    text = await row.inner_text()
    assert "out-of-pocket medical spending of CN¥9,958.00 in 30 days (46.1% of the household's annual income)" in text
    assert "listed for a home visit" in text and "→" in text
    await page.select_option("select[name=rule]", "")
    await page.select_option("select[name=left]", "day")
    await _submit(page, "form.alert-filters button[type=submit]")
    assert await rows.count() == 1 and f'data-alert="{raised.death}"' in await page.content()

    # Open the medical alert: the explanation, the household, the actions.
    await page.goto(f"{url}/console/alerts?rule=medical_spending")
    await _submit(page, f"tr[data-alert='{raised.medical}'] td a >> nth=0")
    assert page.url.endswith(f"/console/alerts/{raised.medical}")
    assert "46.1%" in await page.locator("#reason").inner_text()
    assert await page.locator("#level-before").inner_text() != await page.locator("#level-after").inner_text()
    assert "HB-0007" in await page.locator("#household").inner_text()

    await _submit(page, "form[data-action=acknowledge] button")
    assert "The alert is acknowledged." in await page.locator(".flash.ok").inner_text()
    assert await page.locator("form[data-action=acknowledge]").count() == 0

    visit_day = TODAY + timedelta(days=2)
    await page.fill("form[data-action=schedule_visit] input[name=visit_on]", visit_day.isoformat())
    await _submit(page, "form[data-action=schedule_visit] button")
    assert "home-visit list" in await page.locator(".flash.ok").inner_text()
    assert "December 1, 2026" in await page.locator("#visit-on").inner_text()

    await _submit(page, "form[data-action=link] button")
    link = await page.locator("#link-target").inner_text()
    assert re.fullmatch(r"https://t\.me/yimen_demo_bot\?start=apply-\d+-[0-9a-f]{24}", link)
    assert await page.locator("#link figure.qr svg").count() == 1
    await page.screenshot(path=str(artifacts / "console-alert.png"), full_page=True)
    history = await page.locator("#history").inner_text()
    assert "acknowledged the alert" in history and "scheduled a home visit" in history

    # The home-visit list, from the alert list's link.
    await page.goto(f"{url}/console/alerts")
    await _submit(page, "#visits-link")
    assert page.url.endswith("/console/visits")
    visits = page.locator("li.visit")
    assert await visits.count() == 1
    entry = await visits.first.inner_text()
    assert "HB-0007" in entry and "Hubin" in entry and "46.1%" in entry and "December 1, 2026" in entry
    assert await visits.first.locator("svg").count() == 1
    await page.emulate_media(media="print")
    assert not await page.locator("header.top").is_visible()
    assert await page.locator(".print-only").is_visible()
    await page.screenshot(path=str(artifacts / "console-visits-print.png"), full_page=True)
    await context.close()

    # A caseworker of another office is refused the alert's page.
    context, page = await signed_in(browser, url, "zhao", asking="/console/alerts")
    response = await page.goto(f"{url}/console/alerts/{raised.medical}")
    assert response is not None and response.status == 403
    await context.close()
