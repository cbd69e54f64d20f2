"""The resident web chat in a real Chromium: the browser's Back and Forward show the live question
and never post again; text typed on an out-of-date page is held and asked about; a returning
resident lands where they left off; the larger text stays; every control is reached by keyboard
with a visible focus; and axe-core (bundled with axe-playwright-python, nothing fetched) finds no
WCAG 2.2 AA violation on the consent screen, a question with buttons, the summary and a returning
page, in both languages, at phone and desktop widths. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from backend.config import Config
from backend.db.models import OutboxRow
from backend.web import init_app
from bot.app import build_conversations
from bot.runner import Conversations
from bot.web_chat.identity import COOKIE, WebIdentities
from bot.web_chat.routes import WebChat
from bot.web_chat.transcript import CHANNEL
from flows import events as ev
from locales import Translations
from tests.bot.transcript import HERE, load
from tests.fakes.clock import Counter, FakeClock

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
BROWSER_LOCALE = {"zh_CN": "zh-CN", "en": "en-GB"}
# The WCAG 2.2 AA rules of axe-core (A and AA of 2.0, 2.1 and 2.2).
LETTERS = list("abcdefghijklmnopqrstuvwxyz")
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@dataclass
class Chat:
    url: str
    conversations: Conversations
    identities: WebIdentities
    clock: FakeClock


@pytest.fixture
async def chat(serve: Callable[..., Awaitable[str]], database, database_url, tmp_path) -> Chat:
    clock = FakeClock()
    config = Config(database_url=database_url, locale="zh_CN", data_dir=tmp_path / "data", secret_key=b"k")
    conversations = build_conversations(config, database, clock=clock, new_id=Counter("doc"),
                                        translations=Translations(), html_translations=Translations(html=True))
    app = init_app(config, database=database, clock=clock)
    identities = WebIdentities(config.secret_key)
    WebChat(conversations, secret=config.secret_key, identities=identities).add_routes(app)
    return Chat(await serve(app), conversations, identities, clock)


async def _post(page, selector: str) -> None:
    """Press a button of the page and wait for the page its post redirects to."""
    async with page.expect_navigation():
        await page.click(selector)


async def _send(page, text: str) -> None:
    await page.fill("#answer", text)
    await _post(page, "form.composer button[type=submit]")


async def _token(page) -> str:
    return await page.locator("form.composer input[name=q]").get_attribute("value") or ""


async def _live_key(page) -> str:
    """The key of the last message from Yimen on the page."""
    return await page.locator("li.msg.bot").last.get_attribute("data-key") or ""


async def _said(database, text: str) -> int:
    async with database.engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(OutboxRow).where(
            OutboxRow.kind == "said", OutboxRow.payload["text"].as_string() == text))


async def _at_the_name_question(page, url: str) -> None:
    await page.goto(f"{url}/chat")
    await _post(page, "button[name=start]")
    await _post(page, "li.msg:last-child button[name=button] >> nth=0")  # I agree, for myself
    assert await _live_key(page) == "intake.name.prompt"


async def test_back_and_forward_show_the_live_question_and_a_stale_page_asks_before_answering(
        browser, chat: Chat, database, artifacts: Path) -> None:
    context = await browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await _at_the_name_question(page, chat.url)
    # Another tab on the same question: it goes out of date when the first answers.
    old_tab = await context.new_page()
    await old_tab.goto(f"{chat.url}/chat")
    assert await _token(old_tab) == await _token(page)

    await _send(page, "张三")
    assert await _live_key(page) == "intake.id_number.prompt"
    live = await _token(page)
    # Back: the page before shows the live state again (nothing re-posted); Forward likewise.
    await page.go_back()
    assert await _token(page) == live and await _live_key(page) == "intake.id_number.prompt"
    await page.go_forward()
    assert await _token(page) == live and await _live_key(page) == "intake.id_number.prompt"
    await page.go_back()
    await page.go_back()
    assert await _token(page) == live
    assert await _said(database, "张三") == 1

    # Typed on the out-of-date tab: not taken as the ID number; asked about, in place.
    await _send(old_tab, "650")
    question = old_tab.locator("#held-question")
    assert await question.inner_text() == "您刚才输入的“650”是要回答“身份证号码”吗？"
    assert await old_tab.evaluate("document.activeElement.id") == "latest"
    await old_tab.screenshot(path=str(artifacts / "web-chat-held-answer-phone.png"), full_page=True)
    assert await _said(database, "650") == 0
    # "No": it is put back in the answer box, to change or send.
    await _post(old_tab, "button[name=held] >> text=不是")
    assert await old_tab.input_value("#answer") == "650"
    assert await _said(database, "650") == 0
    # Typed on the page Back showed (the live question): taken as its answer; Back never posts the name again.
    await _send(page, "110105198001010016")
    await page.go_back()
    assert await _live_key(page) == "intake.mobile.prompt" and await _said(database, "张三") == 1
    await context.close()


async def test_a_returning_resident_lands_where_they_left_off(browser, chat: Chat, database, artifacts: Path) -> None:
    context = await browser.new_context(locale="en-GB", viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await _at_the_name_question(page, chat.url)
    await _send(page, "Zhang San")
    await _send(page, "110105198001010016")
    await _send(page, "13800138000")
    chat.clock.advance(timedelta(hours=3))
    await page.goto(f"{chat.url}/chat")  # typed in again: no #latest in the address
    welcome = page.locator("p.welcome")
    assert "Welcome back!" in await welcome.inner_text() and "“Street office”" in await welcome.inner_text()
    assert await page.evaluate("document.activeElement.id") == "latest"
    # At the top of the screen: the welcome, then the question asked now.
    box = await welcome.bounding_box()
    assert box is not None and -1 <= box["y"] < 100, box
    question = await page.locator("li.msg.bot").last.bounding_box()
    assert question is not None and question["y"] < PHONE["height"], question
    assert await page.evaluate("window.scrollY") > 0  # scrolled down to it, past the older messages
    await page.screenshot(path=str(artifacts / "web-chat-returning-phone.png"))
    # Older messages fold away; "show earlier" opens them without any script, by keyboard too.
    earlier = page.locator("details.earlier")
    assert await earlier.get_attribute("open") is None
    assert not await page.locator("details.earlier li.msg").first.is_visible()
    await page.focus("details.earlier summary")
    await page.keyboard.press("Enter")
    assert await earlier.get_attribute("open") is not None
    assert await page.locator("details.earlier li.msg").first.is_visible()
    await context.close()


async def test_the_larger_text_stays_and_every_control_is_reached_by_keyboard(browser, chat: Chat) -> None:
    context = await browser.new_context(locale="zh-CN", viewport=DESKTOP)
    page = await context.new_page()
    await _at_the_name_question(page, chat.url)
    usual = await page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    # Tab from the top reaches every control in order, each with a visible focus.
    controls = await page.evaluate("""() => [...document.querySelectorAll(
        'a[href], button, textarea, input:not([type=hidden]), summary')].filter(e => e.offsetParent !== null).length""")
    await page.focus("body")
    seen = set()
    for _ in range(controls + 2):
        await page.keyboard.press("Tab")
        focused = await page.evaluate("""() => { const e = document.activeElement; const s = getComputedStyle(e);
            return [e.outerHTML.slice(0, 120), s.outlineStyle, s.outlineWidth, e.matches(':focus-visible')]; }""")
        if focused[0].startswith("<body"):
            continue
        assert focused[1] != "none" and focused[2] != "0px" and focused[3], focused
        seen.add(focused[0])
    assert len(seen) >= controls
    # The larger text, chosen by keyboard: pressed, larger, and kept on the next visit.
    await page.focus(".text-size button")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    larger = await page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert larger >= usual * 1.25
    assert await page.get_attribute(".text-size button", "aria-pressed") == "true"
    again = await context.new_page()
    await again.goto(f"{chat.url}/chat")
    assert await again.evaluate("document.documentElement.className") == "large"
    # Nothing scrolls sideways on a phone even so.
    await again.set_viewport_size(PHONE)
    assert await again.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await _post(again, ".text-size button")
    assert await again.evaluate("document.documentElement.className") == ""
    await context.close()


async def _to_summary(chat: Chat, web_id: str, locale: str) -> None:
    """The happy-path transcript played up to its summary for this browser's identity, as typed lines."""
    script: dict[str, Any] = load(HERE / "happy_path_self.yaml")
    handle = chat.conversations.handle
    await handle(CHANNEL, web_id, ev.Command("start"), outbox=True, html=True, locale_hint=locale)
    for step in script["steps"]:
        line = str(step["in"]).strip().lower()
        async with chat.conversations.database.unit_of_work() as uow:
            prompt = await uow.outbox.live_prompt(CHANNEL, web_id)
        buttons = (prompt.payload.get("buttons") or []) if prompt else []
        # A short line names a button, as a person presses it (lettered where typing is taken too).
        shortcuts = LETTERS if prompt and prompt.payload.get("free_text") else [str(n) for n in range(1, 27)]
        if prompt and line in shortcuts[: len(buttons)]:
            await chat.conversations.press(CHANNEL, web_id, prompt.id, shortcuts.index(line), locale_hint=locale,
                                           html=True)
        else:
            await handle(CHANNEL, web_id, ev.Text(str(step["in"])), outbox=True, html=True, locale_hint=locale)
        if "intake.summary" in step.get("out", []):
            return
    raise AssertionError("the transcript never reaches the summary")


async def _violations(page) -> list[str]:
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_axe_finds_no_wcag_22_aa_violation(browser, chat: Chat, locale: str, artifacts: Path) -> None:
    found: dict[str, list[str]] = {}
    for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = await browser.new_context(locale=BROWSER_LOCALE[locale], viewport=viewport,
                                            is_mobile=width == "phone", has_touch=width == "phone")
        page = await context.new_page()
        await page.goto(f"{chat.url}/chat")
        # axe runs and reports in this page (its policy allows no script of the page's own).
        await page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<button></button>')")
        assert any(v.startswith("button-name") for v in await _violations(page))
        await page.reload()
        found[f"{width} start"] = await _violations(page)
        await _post(page, "button[name=start]")
        found[f"{width} consent"] = await _violations(page)
        await _post(page, "li.msg:last-child button[name=button] >> nth=0")  # agree: a question with buttons
        found[f"{width} question"] = await _violations(page)
        await _post(page, ".text-size button")
        found[f"{width} question, larger text"] = await _violations(page)
        # The summary and, a day later, the returning page, for an identity that went that far.
        web_id = f"axe-{locale}-{width}-000000"
        await context.add_cookies([{"name": COOKIE, "value": chat.identities.cookie(web_id), "url": chat.url}])
        await _to_summary(chat, web_id, locale)
        await page.goto(f"{chat.url}/chat")
        assert await _live_key(page) == "intake.summary"
        found[f"{width} summary"] = await _violations(page)
        await page.screenshot(path=str(artifacts / f"web-chat-summary-{locale}-{width}.png"))
        await _send(page, "/help")
        chat.clock.advance(timedelta(days=1))
        await page.goto(f"{chat.url}/chat")
        assert await page.locator("p.welcome").count() == 1
        found[f"{width} returning"] = await _violations(page)
        await context.close()
    assert not any(found.values()), {k: v for k, v in found.items() if v}
