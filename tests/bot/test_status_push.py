"""A decision made through the API reaches the resident on Telegram, once, in their language."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from backend.delivery.quiet import QuietHours
from backend.web import init_app
from bot.dispatch import NotificationDispatcher
from locales import Translations
from tests.bot.telegram_driver import complete_intake, texts
from tests.cases.helpers import add_staff


async def test_an_approval_reaches_the_resident_once_in_english(emulator, database, config, clock, polling_bot):
    wang = (await add_staff(database, "wang", display_name="Wang Fang")).token
    li = (await add_staff(database, "li")).token
    user = emulator.user(3003, language_code="en-US")
    await complete_intake(emulator, database, user)
    before = len(user.sent())
    dispatcher = NotificationDispatcher(
        database,
        translations=Translations(),
        html_translations=Translations(html=True),
        quiet=QuietHours.parse("00:00-00:00", "Asia/Shanghai"),
        clock=clock,
    )
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
    done = await dispatcher.drain()
    assert (done.queued, done.superseded) == (1, 5)
    for _ in range(200):
        if len(user.sent()) > before:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # anything sent twice would arrive by now
    pushed = texts(user.sent()[before:])
    assert len(pushed) == 1, pushed
    assert pushed[0].startswith(f"Your application {number} has been approved.")
    assert "Assistance: medical assistance." in pushed[0] and "CN¥450.00 a month" in pushed[0]
