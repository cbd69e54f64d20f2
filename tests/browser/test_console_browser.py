"""The console in a real Chromium: a caseworker signs in, filters the queue, opens a case and asks
the resident for information; the question reaches the resident, who answers it in the chat; two
caseworkers propose and approve (maker-checker: the proposer is not offered approval, the checker
confirms the resident's message); a caseworker of another office is refused the case; a form
posted without its CSRF token is refused. Screenshots of the queue, a case and the dashboard
are written to tests/artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

from backend.cases.ports import Role
from backend.config import Config
from backend.quiet_hours import QuietHours
from backend.staff.accounts import set_password
from bot.app import build_conversations
from bot.dispatch import NotificationDispatcher
from bot.terminal import CHANNEL
from bot.web_chat.identity import COOKIE, WebIdentities
from bot.web_chat.routes import WebChat
from bot.web_chat.transcript import CHANNEL as WEB
from locales import Translations
from tests.browser.console_pages import signed_in
from tests.cases.helpers import add_staff, payload
from tests.console.conftest import PASSWORD, console_application
from tests.fakes.clock import Counter, FakeClock

RETURNED = "The amount should be recalculated with the rent included"
QUESTION = "Please send the hospital bill of October"
WEB_ID = "household-web-0001"
ANSWER = "The bill is attached; we paid 3,200 yuan."


async def _staff(database) -> None:
    for name, office in (("wang", "hubin"), ("li", "hubin"), ("zhao", "wenchang")):
        await add_staff(database, name, Role.CASEWORKER, office, display_name=name.capitalize())
        async with database.unit_of_work() as uow:
            await set_password(uow, name, PASSWORD)
            await uow.commit()


async def _apply(conversations, database, who: str, data: dict, channel: str = CHANNEL) -> str:
    async with database.unit_of_work() as uow:
        resident = await uow.residents.identify(channel, who, now=conversations.clock())
        await uow.residents.set_locale(resident.id, "en")
        outcome = await conversations.services.intake.submit(uow, data, resident_id=resident.id, document_ids=[],
                                                    now=conversations.clock())
        await uow.commit()
    return outcome.application.number


async def _post(page, selector: str) -> None:
    """Press a button of the web chat and wait for the page its post redirects to."""
    async with page.expect_navigation():
        await page.click(selector)


async def _household_chat(browser, url: str, database, clock, identities):
    """The worker's pass over the notifications, then the household's web chat: a context of its
    own and the chat page in it."""
    await NotificationDispatcher(database, translations=Translations(), html_translations=Translations(html=True),
                                 quiet=QuietHours.parse("00:00-00:00", "Asia/Shanghai"), clock=clock).drain()
    context = await browser.new_context(locale="en-GB")
    # The browser the household applied from carries its signed identity.
    await context.add_cookies([{"name": COOKIE, "value": identities.cookie(WEB_ID), "url": url}])
    chat = await context.new_page()
    await chat.goto(f"{url}/chat")
    return context, chat


async def _act(page, action: str, **fields: str) -> None:
    form = page.locator(f"form.action[data-action={action}]")
    for name, value in fields.items():
        await form.locator(f"[name={name}]").fill(value)
    await form.locator("button[type=submit]").click()
    await page.wait_for_load_state()


async def test_a_case_from_the_queue_to_approval_in_chromium(browser, serve, artifacts: Path, database,
                                                             database_url, tmp_path) -> None:
    clock = FakeClock()
    config = Config(database_url=database_url, locale="zh_CN", data_dir=tmp_path / "data", secret_key=b"k")
    conversations = build_conversations(config, database, clock=clock, new_id=Counter("doc"),
                                        translations=Translations())
    await _staff(database)
    # The household applied in the web chat, from the browser that later reads the question.
    number = await _apply(conversations, database, WEB_ID, payload(1, "hubin"), channel=WEB)
    urgent = await _apply(conversations, database, "hungry", payload(2, "hubin", urgent=True))
    elsewhere = await _apply(conversations, database, "far", payload(3, "wenchang"))
    app = console_application(config, database, clock=clock)
    identities = WebIdentities(config.secret_key)
    WebChat(conversations, secret=config.secret_key, identities=identities).add_routes(app)
    url = await serve(app)

    # Sign in, and filter the queue down to the emergencies.
    wang, page = await signed_in(browser, url, "wang")
    assert await page.locator("table.cases tbody tr").count() == 2  # hubin's two, not wenchang's
    assert elsewhere not in await page.content()
    await page.click("[data-facet=emergency] a[data-value=yes]")
    await page.wait_for_url(re.compile(r".*emergency=yes.*"))
    rows = page.locator("table.cases tbody tr")
    assert await rows.count() == 1 and urgent in await rows.first.inner_text()
    assert "1" in await page.locator("[data-facet=emergency] a.selected .n").inner_text()
    await page.screenshot(path=str(artifacts / "console-queue.png"), full_page=True)

    # Open the case and ask the resident for information.
    await page.click("[data-facet=emergency] a:has-text('All')")
    await page.click(f"a:has-text('{number}')")
    await page.wait_for_url(re.compile(rf".*/console/cases/{number}"))
    await _act(page, "start_review")
    await _act(page, "request_info", question=QUESTION)
    assert "was sent to the resident" in await page.locator(".flash.ok").inner_text()
    assert await page.get_attribute("#status", "data-status") == "info_requested"
    await page.screenshot(path=str(artifacts / "console-case.png"), full_page=True)

    # The question reaches the resident in the web chat: the worker turns the notification into a
    # notice, which the page shows when they come back; "Reply now" takes them into answering.
    resident_context, chat = await _household_chat(browser, url, database, clock, identities)
    assert QUESTION in await chat.content()
    await chat.screenshot(path=str(artifacts / "web-chat-question.png"), full_page=True)
    await _post(chat, "button[name=button]:has-text('Reply now')")
    await chat.fill("textarea[name=text]", ANSWER)
    await _post(chat, "form.composer button[type=submit]")
    await _post(chat, "button[name=button]:has-text('Skip')")  # no documents this time
    await _post(chat, "button[name=button]:has-text('Submit')")
    assert number in await chat.locator("main").inner_text()
    await resident_context.close()
    await page.reload()
    assert await page.get_attribute("#status", "data-status") == "under_review"
    # The question and the answer are on the case's thread, the answer by the applicant's name.
    thread = await page.locator("#thread").inner_text()
    assert QUESTION in thread and ANSWER in thread and thread.index(QUESTION) < thread.index(ANSWER)

    # Maker-checker: wang proposes and cannot approve his own proposal; li disagrees and returns it
    # with a reason, which wang reads on the case; wang proposes again (as staff write amounts) and
    # li approves.
    await _act(page, "propose", amount="820")
    assert await page.get_attribute("#status", "data-status") == "proposed"
    assert await page.locator("form.action[data-action=approve]").count() == 0  # not offered to the proposer
    li, second = await signed_in(browser, url, "li")
    await second.goto(f"{url}/console/cases/{number}")
    await _act(second, "return", note=RETURNED)
    await second.locator("#confirm button[type=submit]").click()
    await second.wait_for_load_state()
    assert await second.get_attribute("#status", "data-status") == "under_review"
    await page.reload()
    assert RETURNED in await page.locator("#thread").inner_text()
    await _act(page, "propose", amount="两千二")
    assert await page.get_attribute("#status", "data-status") == "proposed"
    await second.reload()
    await _act(second, "approve")
    # The checker first reads the decision as the resident will, then confirms it.
    assert number in await second.locator("#confirm blockquote.preview").inner_text()
    await second.locator("#confirm button[type=submit]").click()
    await second.wait_for_load_state()
    assert await second.get_attribute("#status", "data-status") == "approved"
    assert "Approved by Li" in await second.locator("#decision").inner_text()
    assert "2,200.00" in await second.locator("#decision").inner_text()

    # The resident reads the decision in the web chat, in their language, and their thread on /status.
    resident_context, chat = await _household_chat(browser, url, database, clock, identities)
    decision = await chat.locator("main").inner_text()
    assert f"Your application {number} has been approved" in decision and "2,200.00 a month" in decision
    assert "If you disagree with this decision" in decision and RETURNED not in decision
    await chat.fill("textarea[name=text]", "/status")
    await _post(chat, "form.composer button[type=submit]")
    status = await chat.locator("main").inner_text()
    assert QUESTION in status and ANSWER in status
    await chat.screenshot(path=str(artifacts / "web-chat-decision.png"), full_page=True)
    await resident_context.close()

    # A caseworker of another office is refused the case.
    zhao, third = await signed_in(browser, url, "zhao")
    response = await third.goto(f"{url}/console/cases/{number}")
    assert response is not None and response.status == 403
    assert "another office" in await third.locator(".error-reason").inner_text()

    # A form posted from the page without its CSRF token is refused, and changes nothing.
    status = await page.evaluate(
        """async (number) => (await fetch(`/console/cases/${number}/notes`, {method: 'POST',
              body: new URLSearchParams({body: 'forged'})})).status""", number)
    assert status == 403
    await page.reload()
    assert "forged" not in await page.locator("#notes").inner_text()

    await page.goto(f"{url}/console/dashboard")
    assert await page.locator("svg.chart").count() >= 5
    await page.screenshot(path=str(artifacts / "console-dashboard.png"), full_page=True)
    for context in (wang, li, zhao):
        await context.close()
