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
    assert page.messages
    copied, old_id = web.cookie, web.web_id
    async with database.unit_of_work() as uow:
        resident = await uow.residents.find("web", old_id)

    await web.submit("/chat/forget")

    # A post with the copied cookie and a form token of its page is refused.
    thief = Browser(client, language="en", cookie=copied)
    thief.page = page
    assert (await thief.send("hello")).status == 403
    # A page with it is a new browser's: a new identity, nothing of the conversation.
    thief = Browser(client, language="en", cookie=copied)
    page = await thief.open()
    assert page.set_cookie and thief.web_id != old_id and not page.messages
    await thief.start()
    async with database.unit_of_work() as uow:
        assert await uow.residents.find("web", old_id) is None
        assert (await uow.residents.find("web", thief.web_id)).id != resident.id
        assert await uow.residents.get(resident.id) is not None  # the resident and their answers are kept
    async with database.engine.connect() as connection:
        sessions = await connection.scalar(select(func.count()).select_from(ConversationSessionRow)
                                           .where(ConversationSessionRow.resident_id == resident.id))
    assert sessions == 1


async def test_a_browser_that_only_looked_is_signed_out_too(browser, client):
    web = browser(language="en")
    page = await web.open()
    copied = web.cookie
    await web.submit("/chat/forget")
    thief = Browser(client, language="en", cookie=copied)
    thief.page = page
    assert (await thief.send("hello")).status == 403
