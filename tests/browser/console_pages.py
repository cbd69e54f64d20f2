"""Signing in to the console in a real Chromium, through its form, as each browser test does."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.console.conftest import PASSWORD

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
BROWSER_LOCALE = {"zh_CN": "zh-CN", "en": "en-GB"}


async def signed_in(browser: Browser, url: str, username: str, *, asking: str = "/console/queue",
                    lands: str | None = None, language: str = "en",
                    phone: bool = False) -> tuple[BrowserContext, Page]:
    """A new browser context whose user asked for the console page ``asking`` in ``language``, was
    sent to the sign-in form and signed in there as ``username``; its page is where they landed
    (``lands``, by default the page they asked for)."""
    shape = {"viewport": PHONE, "is_mobile": True, "has_touch": True} if phone else {"viewport": DESKTOP}
    context = await browser.new_context(locale=BROWSER_LOCALE[language], **shape)
    page = await context.new_page()
    await page.goto(f"{url}/console/language?to={language}&next={asking}")
    assert "/console/sign-in" in page.url
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form[action='/console/sign-in'] button[type=submit]")
    await page.wait_for_url(re.compile(rf".*{re.escape(lands or asking)}(\?.*)?$"))
    return context, page
