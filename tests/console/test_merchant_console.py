"""A charity merchant without Telegram: signs in to the console, redeems a volunteer's code once,
sees its redemptions, and reaches nothing else of the console."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.points.ledger import Ledger
from backend.points.ports import Holder
from tests.cases.helpers import NOW, PACK
from tests.console.conftest import post_form, sign_in

LEDGER = Ledger(PACK)


async def _code(database, points: int = 12) -> str:
    """A volunteer with 20 points (2 hours of service) shows a code worth ``points``."""
    async with database.unit_of_work() as uow:
        await LEDGER.credit_task(uow, "tg-7", "李华", hours=Decimal("2"), task="T1", by="wang", now=NOW)
        code = await LEDGER.issue_code(uow, Holder.VOLUNTEER, "tg-7", points=points, now=NOW)
        await uow.commit()
    return code


async def test_a_merchant_signs_in_to_its_own_page(client, staff):
    page = await sign_in(client, "shop")
    assert page.status == 200 and page.url.path == "/console/merchant"
    html = await page.text()
    assert "Redeem points" in html and "No redemptions yet." in html and "good for 10 minutes" in html
    # The office's pages are not linked, and not reachable.
    assert "/console/queue" not in html and "/console/points" not in html


@pytest.mark.parametrize("path", ["/console/cases/YM20261129000001", "/console/points", "/console/alerts",
                                  "/console/volunteers", "/console/escalations", "/console/dashboard"])
async def test_a_merchant_reaches_no_office_page(client, staff, path):
    await sign_in(client, "shop")
    response = await client.get(path, allow_redirects=False)
    assert response.status == 403


async def test_a_merchant_posts_no_office_form(client, staff):
    await sign_in(client, "shop")
    response = await post_form(client, "/console/cases/YM20261129000001/notes", "/console/merchant", body="x")
    assert response.status == 403


async def test_office_staff_have_no_merchant_page(client, staff):
    await sign_in(client, "wang")
    assert (await client.get("/console/merchant")).status == 403


async def test_a_code_is_redeemed_once_and_listed(client, staff, database):
    code = await _code(database)
    await sign_in(client, "shop")
    done = await post_form(client, "/console/merchant/redeem", "/console/merchant", code=f"{code[:4]} {code[4:]}")
    assert done.status == 200 and done.url.path == "/console/merchant" and "redeemed" in done.url.query
    html = await done.text()
    assert "12 points redeemed." in html
    assert "Your points balance: <strong>12</strong>" in html
    assert html.count("<tr><td>") == 1 and "Redemption" in html
    async with database.unit_of_work() as uow:
        assert (await LEDGER.balance(uow, Holder.VOLUNTEER, "tg-7"))[1] == 8
        assert (await LEDGER.balance(uow, Holder.MERCHANT, "shop"))[1] == 12
        trail = await uow.audit.for_target("merchant:shop")
    assert [(a.actor, a.action, a.details["points"]) for a in trail] == [("shop", "points.redemption", 12)]
    again = await post_form(client, "/console/merchant/redeem", "/console/merchant", code=code)
    assert "Not redeemed: the code is unknown, used or expired" in await again.text()
    async with database.unit_of_work() as uow:
        assert (await LEDGER.balance(uow, Holder.MERCHANT, "shop"))[1] == 12


async def test_a_mistyped_code_is_named_and_moves_nothing(client, staff, database):
    await _code(database)
    await sign_in(client, "shop")
    for typed in ("1234", "abcdefgh", "123456789"):
        page = await post_form(client, "/console/merchant/redeem", "/console/merchant", code=typed)
        assert "A code is 8 digits" in await page.text()
    page = await post_form(client, "/console/merchant/redeem", "/console/merchant", code="00000000")
    assert "Not redeemed" in await page.text()
    async with database.unit_of_work() as uow:
        assert (await LEDGER.balance(uow, Holder.VOLUNTEER, "tg-7"))[1] == 20


async def test_a_link_cannot_show_another_merchants_redemption(client, staff, database):
    await sign_in(client, "shop")
    page = await client.get("/console/merchant?redeemed=anything")
    assert "points redeemed" not in await page.text()


async def test_the_merchant_page_speaks_chinese(client, staff, database):
    code = await _code(database)
    await sign_in(client, "shop", lang="zh_CN")
    page = await post_form(client, "/console/merchant/redeem", "/console/merchant", code=code)
    html = await page.text()
    assert "已核销 12 积分。" in html and "核销记录" in html
