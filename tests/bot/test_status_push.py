"""A decision made through the API reaches the resident on Telegram, once, in their language."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from backend.web import init_app
from tests.bot import dispatching
from tests.bot.telegram_driver import complete_intake, texts
from tests.cases.helpers import add_staff


async def test_an_approval_reaches_the_resident_once_in_english(emulator, database, config, clock, polling_bot):
    wang = (await add_staff(database, "wang", display_name="Wang Fang")).token
    li = (await add_staff(database, "li")).token
    user = emulator.user(3003, language_code="en-US")
    await complete_intake(emulator, database, user)
    before = len(user.sent())
    dispatcher = dispatching.dispatcher(database, clock)
    async with TestClient(TestServer(init_app(config, database=database, clock=clock))) as api:
        cases = await (await api.get("/api/v1/applications", headers={"Authorization": f"Bearer {wang}"})).json()
        number = cases["items"][0]["number"]
        url = f"/api/v1/applications/{number}/actions"
        for token, body in ((wang, {"action": "start_review"}),
                            (wang, {"action": "propose", "package": ["medical"], "amount": "450"}),
                            (li, {"action": "approve"})):
            response = await api.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
            assert response.status == 200, await response.text()
    # Submitted, assessed, assigned, under review, proposed, approved: one pass tells where it stands.
    # The household also fits a charity project (a schoolchild, a dibao household): offered on its own.
    done = await dispatcher.drain()
    # It fits volunteer services too (tutoring, an escort to hospital) and is invited to volunteer.
    assert (done.queued, done.superseded) == (5, 5)
    for _ in range(200):
        if len(user.sent()) >= before + 5:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # anything sent twice would arrive by now
    pushed = user.sent()[before:]
    assert len(pushed) == 5, texts(pushed)
    (approval,) = [m for m in pushed if "approved" in (m.plain_text or "")]
    assert approval.plain_text.startswith(f"Your application {number} has been approved: near-dibao household")
    assert "Assistance: medical assistance." in approval.plain_text
    # The resident's next questions: from when, how and when paid, what to report, the review, the appeal.
    assert "CN¥450.00 a month, from December 2026." in approval.plain_text
    assert "on day 10 of each month" in approval.plain_text and "within 30 days" in approval.plain_text
    assert "next review is due in June 2027" in approval.plain_text
    assert "administrative reconsideration" in approval.plain_text and "by January 28, 2027" in approval.plain_text
    assert not approval.buttons
    offers = [m for m in pushed if m is not approval]
    assert any("Warm Winter school grant" in m.plain_text for m in offers)
    assert any("Tutoring" in m.plain_text for m in offers)
    assert any("Going with someone to hospital" in m.plain_text for m in offers)
    assert any("credit + volunteer scheme" in m.plain_text for m in offers)
    assert all([b["text"] for b in m.buttons] == ["Accept", "Not now"] for m in offers)


async def test_a_resident_accepts_an_offered_charity_project_with_one_button(emulator, database, clock, polling_bot):
    user = emulator.user(3006, language_code="en-US")
    await complete_intake(emulator, database, user)
    dispatcher = dispatching.dispatcher(database, clock)
    await dispatcher.drain()
    for _ in range(200):
        offers = [m for m in user.sent() if "charity project" in (m.plain_text or "")]
        if offers:
            break
        await asyncio.sleep(0.05)
    (offer,) = offers
    accept = offer.buttons[0]["callback_data"]
    await user.press(offer, accept)
    for _ in range(200):
        if any("You have been referred" in (m.plain_text or "") for m in user.sent()):
            break
        await asyncio.sleep(0.05)
    assert "✓ Accept" in offer.plain_text and not offer.buttons  # the choice shown, the buttons gone
    await user.press(offer, accept)  # a second press of the old button changes nothing
    await asyncio.sleep(0.5)
    assert sum("You have been referred" in (m.plain_text or "") for m in user.sent()) == 1
    async with database.unit_of_work() as uow:
        (referral,) = await uow.offers.taken("project", "warm_winter")
    assert referral.status == "accepted"
