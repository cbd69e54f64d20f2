"""A decision made through the API reaches the resident on Telegram, once, in their language."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

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
    # Submitted, assessed, assigned, under review, proposed, approved: one pass tells where it stands,
    # at once and alone. The offers that fit the household wait for their digest.
    done = await dispatcher.drain()
    assert (done.queued, done.superseded) == (1, 5)
    (approval,) = (await arrived(user, before + 1))[before:]
    assert approval.plain_text.startswith(f"Your application {number} has been approved: near-dibao household")
    assert "Assistance: medical assistance." in approval.plain_text
    # The resident's next questions: from when, how and when paid, what to report, the review, the appeal.
    assert "CN¥450.00 a month, from December 2026." in approval.plain_text
    assert "on day 10 of each month" in approval.plain_text and "within 30 days" in approval.plain_text
    assert "next review is due in June 2027" in approval.plain_text
    assert "administrative reconsideration" in approval.plain_text and "by January 28, 2027" in approval.plain_text
    assert [b["text"] for b in approval.buttons] == ["Your offers"]  # while offers are open
    # An hour after the receipt, one message lists them all: a charity project (a schoolchild, a
    # dibao household), volunteer services (tutoring, an escort to hospital), the scheme.
    clock.advance(timedelta(hours=1))
    assert (await dispatcher.drain()).queued == 1
    (digest,) = (await arrived(user, before + 2))[before + 1:]
    for offered in ("Warm Winter school grant", "Tutoring", "Going with someone to hospital",
                    "credit + volunteer scheme"):
        assert offered in digest.plain_text
    assert [b["text"] for b in digest.buttons] == ["Your offers"]


async def arrived(user, count):
    """What the user was sent, once ``count`` messages are there (and nothing more came)."""
    for _ in range(200):
        if len(user.sent()) >= count:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # anything sent twice would arrive by now
    pushed = user.sent()
    assert len(pushed) == count, texts(pushed)
    return pushed


async def test_a_resident_accepts_an_offered_charity_project_with_one_button(emulator, database, clock, polling_bot):
    user = emulator.user(3006, language_code="en-US")
    await complete_intake(emulator, database, user)
    dispatcher = dispatching.dispatcher(database, clock)
    clock.advance(timedelta(hours=1))
    await dispatcher.drain()
    digest = await first(user, "may help your household")
    await user.press(digest, digest.button("Your offers")["callback_data"])
    offer = await first(user, "Your open offers")
    (number,) = re.findall(r"(\d+)\. Warm Winter school grant", offer.plain_text)
    accept = offer.button(f"Accept {number}")["callback_data"]
    await user.press(offer, accept)
    await first(user, "You have been referred")
    assert f"✓ Accept {number}" in offer.plain_text and not offer.buttons  # the choice shown, the buttons gone
    await user.press(offer, accept)  # a second press of the old button changes nothing
    await asyncio.sleep(0.5)
    assert sum("You have been referred" in (m.plain_text or "") for m in user.sent()) == 1
    # Listed again on request, the accepted offer is no longer there; the others still are.
    await user.send("/offers")
    again = await first(user, "Your open offers", after=offer)
    assert "Warm Winter" not in again.plain_text and "Tutoring" in again.plain_text
    async with database.unit_of_work() as uow:
        (referral,) = await uow.offers.taken("project", "warm_winter")
    assert referral.status == "accepted"


async def first(user, needle, after=None):
    """The first message sent to the user (after ``after``) that contains ``needle``."""
    for _ in range(200):
        sent = user.sent()
        if after is not None:
            sent = sent[next(i for i, m in enumerate(sent) if m is after) + 1:]
        found = [m for m in sent if needle in (m.plain_text or "")]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"{needle!r} never reached the user: {texts(user.sent())[-3:]}")
