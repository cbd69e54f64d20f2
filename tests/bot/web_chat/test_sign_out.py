"""Signing out on a device ends the browser's identity on the server: a copy of its cookie no
longer reaches the resident, whose answers and applications are kept."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.db.models import ConversationSessionRow
from tests.bot.web_chat.browser import Browser


async def test_a_copied_cookie_no_longer_reaches_the_conversation_after_signing_out(browser, client, database):
    web = browser(language="en")
    await web.open()
    await web.start()
    page = await web.press_value(web.page.live_buttons()[0][0])  # agree
    before = page.messages
    assert before
    copied = web.cookie
    async with database.unit_of_work() as uow:
        resident = await uow.residents.find("web", web.web_id)

    await web.submit("/chat/forget")

    thief = Browser(client, language="en", cookie=copied)
    page = await thief.open()
    assert not page.messages  # nothing of the conversation is shown
    page = await thief.send("hello")
    assert {m.id for m in page.messages}.isdisjoint(m.id for m in before)  # nor after posting with it
    async with database.unit_of_work() as uow:
        now_behind = await uow.residents.find("web", thief.web_id)
        kept = await uow.residents.get(resident.id)
    assert now_behind is not None and now_behind.id != resident.id  # the copy leads to someone new
    assert kept is not None  # the resident and their answers are kept
    async with database.engine.connect() as connection:
        sessions = await connection.scalar(select(func.count()).select_from(ConversationSessionRow)
                                           .where(ConversationSessionRow.resident_id == resident.id))
    assert sessions == 1
