"""The web chat's panel of open offers: above the conversation, so they never scroll out of its
window; answered there as in the chat, and gone once accepted, declined or expired."""

from __future__ import annotations

from datetime import timedelta

from tests.cases.helpers import NOW, payload


async def jobless(conversations, database, web_id, serial=3):
    """A resident of the browser whose application (an unemployed adult) brings offers."""
    data = payload(serial)
    data["members"][0]["work"] = "unemployed"
    async with database.unit_of_work() as uow:
        resident = await uow.residents.identify("web", web_id, now=NOW)
        await uow.residents.set_locale(resident.id, "en")
        await conversations.services.intake.submit(uow, data, resident_id=resident.id, document_ids=[], now=NOW)
        await uow.commit()
    return resident.id


async def test_open_offers_stay_on_the_panel_until_answered(browser, chat_conversations, database, clock):
    web = browser(language="en")
    await web.start()
    resident = await jobless(chat_conversations, database, web.web_id)
    page = await web.open()
    listed = [text for text, _ in page.offers]
    assert any("credit + volunteer scheme" in text for text in listed), listed
    assert all([label for _, label in buttons] == ["Accept", "Not now"] for _, buttons in page.offers)
    # Far more messages than the conversation's window shows: the panel still lists them all.
    for _ in range(15):
        page = await web.send("/help")
    assert len(page.messages) == 24 and [t for t, _ in page.offers] == listed

    # Declined from the panel: said in the conversation, and gone from the panel.
    first, buttons = page.offers[0]
    page = await web.submit(offer=dict((label, value) for value, label in buttons)["Not now"])
    assert [m.text for m in page.messages if m.mine][-1] == "Not now"
    assert page.new[-1].key in ("offer.declined", "offer.declined_service")
    assert first not in [t for t, _ in page.offers] and len(page.offers) == len(listed) - 1
    async with database.unit_of_work() as uow:
        assert len(await uow.offers.open_for(resident, now=clock())) == len(listed) - 1

    # Once expired, an offer is neither on the panel nor accepted.
    value = dict((label, value) for value, label in page.offers[0][1])["Accept"]
    clock.advance(timedelta(days=31))
    page = await web.open()
    assert page.offers == []
    page = await web.submit(offer=value)
    assert page.new[-1].key == "offer.expired"


async def test_the_panel_answers_only_the_residents_own_offers(browser, chat_conversations, database):
    owner, stranger = browser(language="en"), browser(language="en")
    await owner.start()
    await stranger.start()
    await jobless(chat_conversations, database, owner.web_id)
    await jobless(chat_conversations, database, stranger.web_id, serial=4)
    page = await owner.open()
    value = page.offers[0][1][0][0]
    before = len(page.offers)
    await stranger.open()
    await stranger.submit(offer=value)
    assert len((await owner.open()).offers) == before
