"""The web chat's page and posts: identity, form tokens, status updates on return, notification
buttons, uploads, and nothing loaded from elsewhere."""

from __future__ import annotations

import re
from datetime import timedelta
from http.cookies import SimpleCookie

import aiohttp
import pytest
from sqlalchemy import func, select

from backend.cases.lifecycle import CaseStatus
from backend.db.models import DocumentRow, OutboxRow, ResidentRow
from bot.web_chat.identity import COOKIE
from tests.bot import casework
from tests.bot.casework import START_REVIEW, acted, request_info
from tests.bot.transcript import FIXTURES
from tests.bot.web_chat.browser import Browser
from tests.cases.helpers import add_staff

RELATIONSHIP_LABELS = ["Family member", "Guardian", "Other (e.g. neighbour)"]


async def applied(conversations, database, web_id: str) -> tuple[str, str]:
    """The browser's resident with a submitted application: (resident id, application number)."""
    return await casework.applied(conversations, database, "web", web_id)


async def applied_and_acted(conversations, database, clock, account, web, *actions) -> tuple[str, str]:
    """The resident of the browser ``web``, opened, applied; then ``account`` (a caseworker of the
    office) took ``actions`` on the application and the worker passed: (resident id, application number)."""
    await web.open()
    resident, number = await applied(conversations, database, web.web_id)
    await acted(conversations, database, clock, account, number, *actions)
    return resident, number


async def count(database, row, *where) -> int:
    async with database.engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(row).where(*where))


def cookie_of(set_cookie: str):
    jar = SimpleCookie()
    jar.load(set_cookie)
    return jar[COOKIE]


async def test_a_new_browser_gets_a_signed_http_only_cookie_and_leaves_nothing_behind(browser, database):
    page = await browser().open()
    assert page.status == 200 and page.set_cookie
    morsel = cookie_of(page.set_cookie)
    assert morsel["httponly"] and morsel["samesite"] == "Lax" and morsel["path"] == "/chat"
    assert not morsel["secure"]  # plain http here: a Secure cookie would never come back
    assert int(morsel["max-age"]) > 300 * 24 * 3600
    # Only a page was seen: no resident is made for every passing browser.
    assert await count(database, ResidentRow) == 0
    # Behind a proxy that ends TLS, the cookie is Secure.
    behind = await browser(forwarded_proto="https").open()
    assert cookie_of(behind.set_cookie)["secure"]
    # A returning browser keeps its cookie.
    returning = browser()
    await returning.open()
    again = await returning.open()
    assert again.set_cookie is None
    assert await count(database, ResidentRow) == 0  # still only pages seen


async def test_a_tampered_cookie_gets_a_new_identity_never_someone_elses(browser, client, database):
    alice = browser(language="en")
    await alice.open()
    await alice.start()
    mine = await alice.send("Alice")  # at the consent question: not understood, asked again
    assert any(m.text == "Alice" for m in mine.messages if m.mine)
    web_id, _, signature = alice.cookie.partition(".")
    other_id = "B" * 24
    for forged in (f"{web_id}.{signature[:-2]}xx", f"{web_id}.", web_id, f"{other_id}.{signature}",
                   f"{web_id[:-1]}{'A' if web_id[-1] != 'A' else 'B'}.{signature}", "garbage", ""):
        mallory = browser(language="en", cookie=forged)
        page = await mallory.open()
        assert page.status == 200 and page.set_cookie, forged
        assert mallory.web_id != web_id
        assert not page.messages and "Alice" not in page.html
        # Nor can the forged cookie post in Alice's name, even with her page's token.
        impostor = Browser(client, language="en", cookie=forged)
        impostor.page = alice.page
        refused = await impostor.submit(text="I am Alice")
        assert refused.status == 403
    assert await count(database, OutboxRow, OutboxRow.payload["text"].as_string() == "I am Alice") == 0
    # Alice herself still finds her conversation.
    assert any(m.text == "Alice" for m in (await alice.open()).messages)


async def test_posts_without_the_form_token_of_the_browser_are_refused(browser, client, database):
    web = browser(language="en")
    await web.open()
    await web.start()
    other = browser()
    await other.open()
    before = await count(database, OutboxRow)
    for token in ("", "not-a-token", other.page.csrf):
        page = await web.submit(token=token, text="hello")
        assert page.status == 403 and "expired" in page.html
    # A link code or a sign-out needs the token too.
    assert (await web.submit("/chat/link", token="x")).status == 403
    assert (await web.submit("/chat/forget", token="x")).status == 403
    # A file sent before the token is not read.
    data = aiohttp.FormData()
    data.add_field("file", b"%PDF-1.4", filename="x.pdf", content_type="application/pdf")
    data.add_field("csrf", web.page.csrf if web.page.csrf else "")
    response = await client.post("/chat/messages", data=data, allow_redirects=False,
                                 headers={"Cookie": f"{COOKIE}={web.cookie}"})
    assert response.status == 403
    # No cookie at all.
    response = await client.post("/chat/messages", data={"csrf": "x", "text": "hi"}, allow_redirects=False)
    assert response.status == 403
    assert await count(database, OutboxRow) == before
    assert await count(database, DocumentRow) == 0


async def test_a_form_is_taken_once(browser, database):
    web = browser(language="en")
    await web.open()
    old = await web.start()
    agree = old.live_buttons()[1][0]  # I agree, applying for someone else
    page = await web.press_value(agree)
    assert page.keys == ["intake.relationship.prompt"]
    # The same form again (a double click, the back button): nothing happens twice.
    web.page = old
    page = await web.press_value(agree)
    assert page.notice.startswith("This page was out of date")
    assert page.keys == []
    assert [m.key for m in page.messages if not m.mine][-1] == "intake.relationship.prompt"
    # A button of a question already answered, sent from a page drawn now, has expired.
    page = await web.press_value(agree)
    assert page.keys == ["channel.button_expired"]
    # The question being asked keeps its buttons.
    assert [label for _, label in page.live_buttons()] == RELATIONSHIP_LABELS
    # Empty posts change nothing.
    assert (await web.send("   ")).notice.startswith("Please type something")


async def test_a_status_update_waits_for_the_next_page_load(browser, database, chat_conversations, clock):
    account = await add_staff(database, "wang")
    web = browser(language="en")
    _, number = await applied_and_acted(chat_conversations, database, clock, account, web, START_REVIEW)
    page = await web.open()
    (update,) = [m for m in page.new if m.key == "notice.under_review"]
    assert update.text == f"Your application {number} is being reviewed."
    # Shown once: on the next load it is part of the conversation, no longer new.
    again = await web.open()
    assert [m.key for m in again.messages].count("notice.under_review") == 1
    assert not again.new


async def test_reply_now_works_from_the_page(browser, database, chat_conversations, clock):
    account = await add_staff(database, "wang")
    web = browser(language="en")
    _, number = await applied_and_acted(chat_conversations, database, clock, account, web, START_REVIEW,
                                        request_info("Please send the hospital bill"))
    page = await web.open()
    (asked,) = [m for m in page.new if m.key == "notice.info_requested"]
    assert "Please send the hospital bill" in asked.text
    page = await web.press("Reply now")
    assert page.keys[0] == "reply.welcome" and page.keys[-1] == "reply.answer.prompt"
    assert number in page.new[0].text
    page = await web.send("The bill is attached; we paid 3,200 yuan.")
    bill = FIXTURES / "hospital_bill.png"
    page = await web.upload(bill.name, bill.read_bytes(), "image/png")
    assert "documents.received" in page.keys
    page = await web.press("Done")
    assert page.keys[-1] == "reply.summary"
    page = await web.press_value(page.live_buttons()[0][0])  # send it
    assert page.keys[0] == "reply.receipt"
    async with database.unit_of_work() as uow:
        case = await uow.cases.get(number)
        messages = await uow.threads.messages(number)
    assert case.status is CaseStatus.UNDER_REVIEW
    # The answer is on the case's thread, with the photo.
    assert (messages[-1].body, len(messages[-1].document_ids)) == ("The bill is attached; we paid 3,200 yuan.", 1)
    # The notification's button was used: it is gone from the page.
    assert not [b for m in page.messages if m.key == "notice.info_requested" for b in m.buttons]


async def test_an_oversized_upload_is_refused_with_a_message(browser, database, config):
    web = browser(language="en")
    await web.open()
    page = await web.start()
    await web.press_value(page.live_buttons()[0][0])  # agree: documents are taken from now on
    big = FIXTURES / "too_large.pdf"
    assert big.stat().st_size > config.max_document_bytes
    page = await web.upload(big.name, big.read_bytes(), "application/pdf")
    assert page.keys == ["documents.too_large"]
    assert "the limit is 0.1 MB" in page.new[0].text
    assert any(m.text == f"📎 {big.name}" for m in page.messages if m.mine)
    assert await count(database, DocumentRow) == 0
    stored = config.data_dir / "documents"
    assert not stored.exists() or not any(p.is_file() for p in stored.rglob("*"))
    # One within the limit is kept.
    bill = FIXTURES / "hospital_bill.png"
    page = await web.upload(bill.name, bill.read_bytes(), "image/png")
    assert page.keys == ["documents.kept_early", "intake.name.prompt"]
    assert await count(database, DocumentRow) == 1
    # The upload button with no file chosen.
    page = await web.upload("", b"")
    assert page.notice.startswith("Please choose a file")


async def test_an_upload_that_is_no_photo_or_pdf_by_its_content_is_refused_with_a_message(browser, database, config):
    web = browser(language="en")
    await web.open()
    page = await web.start()
    page = await web.press_value(page.live_buttons()[0][0])  # agree: documents are taken from now on
    assert page.keys[-1] == "intake.name.prompt"
    for name, content, mime, key in (
        ("scan.jpg", b"", "image/jpeg", "uploads.empty"),
        ("photo.jpg", b"MZ\x90\x00\x03" + bytes(64) + b"PE\x00\x00", "image/jpeg", "uploads.not_accepted"),
        ("bill.png", b"<html><script>alert(1)</script></html>", "image/png", "uploads.not_accepted"),
    ):
        page = await web.upload(name, content, mime)
        assert page.keys == [key]
        assert "JPG, PNG, WebP or HEIC" in page.new[0].text and "PDF" in page.new[0].text
    assert await count(database, DocumentRow) == 0
    stored = config.data_dir / "documents"
    assert not stored.exists() or not any(p.is_file() for p in stored.rglob("*"))
    # Still at the same question.
    page = await web.send("Zhang San")
    assert page.keys == ["intake.id_number.prompt"]


def test_the_file_input_offers_what_is_accepted():
    from backend.documents import ACCEPT_ATTRIBUTE
    from bot.web_chat.page import Page
    from bot.web_chat.transcript import View
    from locales import Translations

    html = Page(base="/chat").render(View(known=True), Translations()("en"), csrf="t", max_mb=10)
    assert f'accept="{ACCEPT_ATTRIBUTE}"' in html and "image/heic" in ACCEPT_ATTRIBUTE
    assert "a photo (JPG, PNG, WebP or HEIC) or a PDF, up to 10 MB" in html


async def test_a_reminder_waits_in_the_transcript(browser, chat_conversations, clock):
    web = browser(language="en")
    await web.open()
    page = await web.start()
    page = await web.press_value(page.live_buttons()[0][0])  # agree, applying for myself
    assert page.keys == ["intake.name.prompt"]
    clock.advance(timedelta(hours=25))
    assert await chat_conversations.tick() == []  # nothing handed back: kept for the browser
    page = await web.open()
    assert page.keys == ["intake.reminder", "intake.name.prompt"]


async def test_the_page_loads_nothing_from_elsewhere_and_is_accessible(browser, client):
    web = browser(language="en")
    pages = [await web.open(), await web.start()]
    await web.send("/help")
    pages.append(web.page)
    pages.append(await web.submit("/chat/link"))
    for page in pages:
        html = page.html
        assert page.status == 200
        assert not re.search(r"https?:|//|<script|<iframe|<img|@import|url\(", html, re.IGNORECASE), html
        for attribute in re.findall(r'(?:href|src|action)="([^"]*)"', html):
            assert attribute.startswith(("/chat", "#")), attribute
        # Language, viewport, labelled controls, real buttons, a way past the conversation.
        assert page.lang == "en" and 'name="viewport"' in html
        assert html.count("<button") == html.count('<button type="submit"')
        if "<textarea" in html:
            assert '<label for="answer">' in html and 'id="answer"' in html
        if 'type="file"' in html:
            assert '<label for="file">' in html and 'id="file"' in html
        assert 'href="#answer"' in html
    response = await client.get("/chat", headers={"Accept-Language": "en"})
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "style-src 'self'" in policy and "script" not in policy
    assert response.headers["Cache-Control"] == "no-store"
    css = await client.get("/chat/static/chat.css")
    assert css.status == 200 and css.content_type == "text/css"
    text = await css.text()
    assert not re.search(r"https?:|//[a-z]|@import|url\(|@font-face", text, re.IGNORECASE)
    assert (await client.get("/chat/static/../routes.py")).status == 404
    assert (await client.get("/chat/static/nothing.css")).status == 404


async def test_the_page_speaks_the_residents_language(browser):
    web = browser(language="zh-CN,zh;q=0.9")
    page = await web.open()
    assert page.lang == "zh-CN" and "开始" in page.html
    page = await web.start()
    assert page.keys == ["intake.welcome", "intake.consent.prompt"]
    page = await web.send("/language")
    page = await web.press("English")
    assert page.lang == "en" and "Your answer" in page.html


async def test_signing_out_forgets_the_browser(browser, database):
    web = browser(language="en")
    await web.open()
    await web.start()
    old = web.web_id
    page = await web.submit("/chat/forget")
    assert page.set_cookie and web.web_id != old  # the next page made a new identity
    assert not page.messages


async def test_what_a_resident_types_is_shown_as_text_never_as_markup(browser):
    web = browser(language="en")
    await web.open()
    page = await web.start()
    page = await web.press_value(page.live_buttons()[0][0])  # agree, applying for myself
    page = await web.send("<b>Zhang</b> <script>alert(1)</script>")
    assert "<script>alert" not in page.html and "<b>Zhang" not in page.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.html
    assert any(m.text == "<b>Zhang</b> <script>alert(1)</script>" for m in page.messages if m.mine)


@pytest.mark.parametrize(("accept", "lang"), [
    ("en", "en"), ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"), ("en-GB;q=0.5, zh-TW", "zh-CN"),
    ("fr, zh;q=0.8", "zh-CN"), ("fr;q=1, en;q=0.3, zh;q=0.2", "en"), ("de", "en"), ("zh;q=0, en", "en"),
])
async def test_the_page_speaks_the_browsers_most_preferred_language_we_have(client, accept, lang):
    html = await (await client.get("/chat", headers={"Accept-Language": accept})).text()
    assert f'<html lang="{lang}"' in html


async def test_the_id_error_shows_the_digits_typed_on_that_page_only(browser, database):
    web = browser(language="en")
    await web.open()
    page = await web.start()
    page = await web.press_value(page.live_buttons()[0][0])  # agree, for myself
    page = await web.send("Zhang San")
    page = await web.send("110105198001010017")  # the check digit is wrong
    assert "You typed: 110105 19800101 0017" in page.text()
    # The digits were shown at that moment; the transcript keeps them masked, as every later page shows.
    again = await web.open()
    assert "You typed: 110*** ******** 0017" in again.text() and "19800101" not in again.html
    async with database.engine.connect() as connection:
        payloads = (await connection.execute(select(OutboxRow.payload))).scalars().all()
    assert not any("19800101" in str(p) for p in payloads)
