"""A charity merchant without Telegram, in a real Chromium on a phone: signs in to the console,
lands on its page, types the code a volunteer shows, sees the points redeemed and the redemption
listed; the same code again is refused. Screenshot: tests/artifacts/console-merchant-phone.png."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from backend.cases.ports import Role
from backend.config import Config
from backend.points.ledger import Ledger
from backend.points.ports import Holder
from backend.staff.accounts import set_password
from tests.browser.console_pages import signed_in
from tests.cases.helpers import NOW, PACK, add_staff
from tests.console.conftest import PASSWORD, console_application

LEDGER = Ledger(PACK)


async def test_a_merchant_redeems_a_code_in_chromium(browser, serve, artifacts: Path, database, database_url,
                                                     tmp_path) -> None:
    await add_staff(database, "minghu", Role.MERCHANT, None, display_name="明湖超市")
    async with database.unit_of_work() as uow:
        await set_password(uow, "minghu", PASSWORD)
        await LEDGER.credit_task(uow, "tg-7", "李华", hours=Decimal("3"), task="T1", by="wang", now=NOW)
        code = await LEDGER.issue_code(uow, Holder.VOLUNTEER, "tg-7", points=25, now=NOW)
        await uow.commit()
    config = Config(database_url=database_url, locale="zh_CN", data_dir=tmp_path / "data", secret_key=b"k")
    url = await serve(console_application(config, database))

    # Signing in lands a merchant on its own page, not the office's queue.
    context, page = await signed_in(browser, url, "minghu", lands="/console/merchant", language="zh_CN", phone=True)
    assert await page.locator("nav a").all_inner_texts() == ["积分核销"]
    assert "暂无核销记录" in await page.locator("table.redemptions").inner_text()

    await page.fill("input[name=code]", code)
    async with page.expect_navigation():
        await page.click("form.redeem button[type=submit]")
    assert await page.locator("p.redeemed").inner_text() == "已核销 25 积分。"
    assert "25" in await page.locator("p.balance strong").inner_text()
    rows = page.locator("table.redemptions tbody tr")
    assert await rows.count() == 1 and "25" in await rows.first.inner_text()
    await page.screenshot(path=str(artifacts / "console-merchant-phone.png"), full_page=True)
    widths = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths[0]} px wide in a {widths[1]} px window"

    # The same code twice: refused, and nothing moves.
    await page.fill("input[name=code]", code)
    async with page.expect_navigation():
        await page.click("form.redeem button[type=submit]")
    assert "无法核销" in await page.locator("p.flash.error").inner_text()
    assert await page.locator("table.redemptions tbody tr").count() == 1
    # The office's pages stay closed to a merchant.
    response = await page.goto(f"{url}/console/points")
    assert response is not None and response.status == 403
    await context.close()
    async with database.unit_of_work() as uow:
        assert (await LEDGER.balance(uow, Holder.VOLUNTEER, "tg-7"))[1] == 5
        assert (await LEDGER.balance(uow, Holder.MERCHANT, "minghu"))[1] == 25
