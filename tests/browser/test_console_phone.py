"""The queue on a phone (375 px wide) in a real Chromium: nothing is cut off or scrolls sideways;
each case is a card that names its applicant and the time left. A screenshot goes to
tests/artifacts/console-queue-phone.png."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from backend.cases.ports import Role
from backend.config import Config
from backend.db.models import ApplicationRow
from backend.staff.accounts import set_password
from tests.browser.console_pages import PHONE, signed_in
from tests.cases.helpers import NOW, add_staff, payload, submit
from tests.console.conftest import PASSWORD, console_application


async def test_the_queue_fits_a_phone_without_scrolling_sideways(browser, serve, artifacts: Path, database,
                                                                  database_url, tmp_path) -> None:
    await add_staff(database, "chen", Role.CASEWORKER, "hubin", display_name="陈晓梅")
    async with database.unit_of_work() as uow:
        await set_password(uow, "chen", PASSWORD)
        await uow.commit()
    numbers = []
    for serial, name in enumerate(("刘芳", "欧阳娜娜·阿卜杜热合曼", "张伟"), start=1):
        data = payload(serial, urgent=serial == 1)
        data["applicant"]["name"] = name
        numbers.append(await submit(database, data, f"r{serial}"))
    async with database.engine.begin() as connection:
        await connection.execute(update(ApplicationRow).where(ApplicationRow.number == numbers[2])
                                 .values(deadline_at=NOW - timedelta(days=2)))
    config = Config(database_url=database_url, locale="zh_CN", data_dir=tmp_path / "data", secret_key=b"k")
    url = await serve(console_application(config, database))

    context, page = await signed_in(browser, url, "chen", language="zh_CN", phone=True)
    await page.screenshot(path=str(artifacts / "console-queue-phone.png"), full_page=True)

    widths = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths[0]} px wide in a {widths[1]} px window"
    assert not await page.locator("table.cases thead").is_visible()
    cards = page.locator("table.cases tbody tr")
    assert await cards.count() == 3
    for i in range(3):
        box = await cards.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    late = await page.locator(f"tr[data-case='{numbers[2]}']").inner_text()
    assert "张伟" in late and "逾期 2 天" in late and "陈晓梅" in late
    await context.close()
