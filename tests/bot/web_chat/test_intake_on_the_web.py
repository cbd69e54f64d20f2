"""A whole application on the web chat, played from the same transcript as the terminal's, in both
languages: typed lines become presses of the page's buttons or typed answers, as a person would."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from backend.db.models import ApplicationRow, ConversationSessionRow, DocumentRow, EscalationRow
from tests.bot.transcript import FIXTURES, HERE, load
from tests.bot.web_chat.browser import Browser, Page

LETTERS = "abcdefghijklmnopqrstuvwxyz"
LANGUAGE = {"zh_CN": "zh-CN,zh;q=0.9", "en": "en-US,en;q=0.8"}


async def _lettered(database, value: str) -> bool:
    """Whether the prompt a button belongs to takes typed answers (its shortcuts are then lettered)."""
    async with database.unit_of_work() as uow:
        item = await uow.outbox.get(int(value.partition(":")[0]))
    return bool(item and item.payload.get("free_text"))


async def type_line(browser: Browser, database, line: str) -> Page:
    """What a person does to say ``line``: press the button it names, or type it."""
    assert browser.page is not None
    buttons = browser.page.live_buttons()
    key = line.strip().lower()
    if buttons and not line.startswith("/"):
        lettered = await _lettered(database, buttons[0][0])
        if lettered and len(key) == 1 and key in LETTERS[: len(buttons)]:
            return await browser.press_value(buttons[LETTERS.index(key)][0])
        if not lettered and key.isdigit() and 1 <= int(key) <= len(buttons):
            return await browser.press_value(buttons[int(key) - 1][0])
        for value, label in buttons:
            if label.lower() == key:
                return await browser.press_value(value)
    return await browser.send(line)


def check(where: str, page: Page, expect: dict[str, Any] | list[str], locale: str) -> None:
    assert page.status == 200, f"{where}: {page.status}"
    if isinstance(expect, list):
        expect = {"out": expect}
    if "out" in expect:
        assert page.keys == expect["out"], f"{where}: got {page.keys}"
    shown = "\n".join("\n".join([m.text, *(label for _, label in m.buttons)]) for m in page.new)
    wanted = expect.get("text", [])
    if isinstance(wanted, dict):
        wanted = wanted.get(locale, [])
    for fragment in wanted:
        assert fragment in shown, f"{where}: {fragment!r} not in:\n{shown}"
    for fragment in expect.get("not_text", []):
        # Nowhere on the page, the resident's own messages included.
        assert fragment not in page.html, f"{where}: {fragment!r} is on the page"


async def check_db(where: str, database, expect: dict[str, Any]) -> None:
    async with database.engine.connect() as connection:
        for name, row in (("applications", ApplicationRow), ("documents", DocumentRow),
                          ("escalations", EscalationRow)):
            if name in expect:
                count = await connection.scalar(select(func.count()).select_from(row))
                assert count == expect[name], f"{where}: {count} {name}"
        for column in ("status", "layer", "emergency"):
            if column in expect:
                assert await connection.scalar(select(getattr(ApplicationRow, column))) == expect[column], where
        if "state" in expect:
            states = (await connection.execute(select(ConversationSessionRow.state))).scalars().all()
            assert expect["state"] in states, where


async def play(browser: Browser, database, script: dict[str, Any], locale: str) -> None:
    check("open", await browser.start(), script.get("open", {}), locale)
    for number, step in enumerate(script["steps"], 1):
        where = f"step {number} {step}"
        if "in" in step:
            page = await type_line(browser, database, str(step["in"]))
        else:
            path = FIXTURES / step["file"]
            page = await browser.upload(path.name, path.read_bytes(), "image/png")
        check(where, page, step, locale)
        if "db" in step:
            await check_db(where, database, step["db"])


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_a_resident_applies_on_the_web(browser, database, locale):
    page = await (web := browser(language=LANGUAGE[locale])).open()
    assert page.lang == {"zh_CN": "zh-CN", "en": "en"}[locale]
    await play(web, database, load(HERE / "happy_path_self.yaml"), locale)
    final = web.page
    assert final is not None and final.lang == {"zh_CN": "zh-CN", "en": "en"}[locale]
    # The resident's own answers are on the page too, the ID number masked as Yimen shows it.
    mine = [m.text for m in final.messages if m.mine]
    assert "110***********0016" not in mine  # older than what a page shows by now


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_an_applicant_for_someone_else_with_a_document(browser, database, locale):
    web = browser(language=LANGUAGE[locale])
    await web.open()
    await play(web, database, load(HERE / "proxy_guardian.yaml"), locale)
