"""Where the web chat opens and what an out-of-date page can do: the question token every form
carries, the answer held for the resident's word, the welcome back, the status panel, the
command buttons and the larger text, in both languages."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from backend.db.models import OutboxRow
from tests.bot import casework
from tests.bot.casework import START_REVIEW, acted, request_info
from tests.bot.web_chat.browser import Browser, Page
from tests.cases.helpers import add_staff

LANGUAGE = {"zh_CN": "zh-CN,zh;q=0.9", "en": "en-US,en;q=0.8"}
WORDS = {
    "zh_CN": {"held": "您刚才输入的“{text}”是要回答“{question}”吗？", "id": "身份证号码", "mobile": "手机号码",
              "use": "是，用作这题的回答", "drop": "不是", "again": "已经收到了", "returned": "放回了下面的回答框",
              "welcome": "欢迎回来！", "left_at": "您上次填到“{question}”", "status": "需要补充材料或信息",
              "earlier": "显示更早的消息", "back": "上一题", "progress": "查看进度", "human": "找工作人员",
              "restart": "重新开始", "large": "大字（适老化）", "reply": "立即回复", "panel": "我的办理情况"},
    "en": {"held": "Is the “{text}” you just typed your answer to “{question}”?", "id": "ID number",
           "mobile": "Mobile number", "use": "Yes, use it as the answer", "drop": "No", "again": "We already have that",
           "returned": "back in the answer box", "welcome": "Welcome back!", "left_at": "You had reached “{question}”",
           "status": "More information needed", "earlier": "Show earlier messages",
           "back": "Previous question", "progress": "Check progress", "human": "Talk to a person",
           "restart": "Start over", "large": "Larger text", "reply": "Reply now", "panel": "Your applications"},
}


def text_of(page: Page) -> str:
    """The page's visible words, tags removed."""
    return unescape(re.sub(r"<[^>]+>", "", page.html))


async def at_the_name_question(web: Browser) -> Page:
    await web.open()
    page = await web.start()
    page = await web.press_value(page.live_buttons()[0][0])  # agree, for myself
    assert page.keys == ["intake.name.prompt"]
    return page


async def back_on_the_name_page(web: Browser) -> Page:
    """The name answered ("Zhang San"), then the page still asking for it again, as from an old tab."""
    old = await at_the_name_question(web)
    await web.send("Zhang San")
    web.page = old
    return old


async def session_answers(database, web: Browser) -> dict:
    async with database.unit_of_work() as uow:
        resident = await uow.residents.find("web", web.web_id)
        return (await uow.sessions.load(resident.id, "intake") or {}).get("answers", {})


async def held_answer(web: Browser, label: str) -> Page:
    """Press the button of the held answer's question with ``label``."""
    value = re.search(rf'name="held" value="([^"]+)"[^>]*>{re.escape(label)}</button>', web.page.html)
    assert value, web.page.html
    return await web.submit(held=value.group(1))


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_an_answer_typed_on_an_out_of_date_page_waits_for_the_residents_word(browser, database, locale):
    words = WORDS[locale]
    web = browser(language=LANGUAGE[locale])
    old = await at_the_name_question(web)
    assert old.q and old.q.startswith("intake:name:")
    page = await web.send("张三")
    assert page.keys == ["intake.id_number.prompt"] and page.q != old.q
    # The name again from the page still asking for it (Back, an old tab): taken once, said so.
    web.page = old
    page = await web.send("张三")
    assert words["again"] in page.notice and page.keys == []
    # Something else from that page is not taken as the ID number: it is asked about.
    web.page = old
    page = await web.send("13800138000")
    assert page.keys == []
    assert words["held"].format(text="13800138000", question=words["id"]) in text_of(page)
    assert "id_number" not in await session_answers(database, web)
    # Nothing is stored in clear: the held text is sealed.
    async with database.engine.connect() as connection:
        stored = (await connection.execute(select(OutboxRow.payload).where(OutboxRow.kind == "held_answer"))).all()
    assert len(stored) == 1 and "13800138000" not in str(stored)
    # A reload asks again: nothing is lost.
    page = await web.open()
    assert words["held"].format(text="13800138000", question=words["id"]) in text_of(page)
    # "No": not used, and put back in the answer box.
    page = await held_answer(web, words["drop"])
    assert words["returned"] in page.notice
    assert re.search(r'<textarea id="answer"[^>]*>13800138000</textarea>', page.html)
    assert "id_number" not in await session_answers(database, web) and page.keys == []
    # Put back once: the next page's answer box is empty again.
    page = await web.open()
    assert re.search(r'<textarea id="answer"[^>]*></textarea>', page.html)
    # Typed again on the old page, then "yes": the answer goes to the question asked now.
    web.page = old
    page = await web.send("110105198001010016")
    assert words["held"].format(text="110***********0016", question=words["id"]) in text_of(page)
    page = await held_answer(web, words["use"])
    assert page.keys == ["intake.mobile.prompt"]
    assert (await session_answers(database, web))["id_number"] == "110105198001010016"
    assert "110105198001010016" not in page.html  # shown masked, as every reply shows it
    assert words["use"] not in text_of(page)


async def test_a_held_answer_follows_the_question_when_it_moves_on_again(browser, database):
    web = browser(language="en")
    old = await back_on_the_name_page(web)
    confirm = await web.send("Li Si")
    assert WORDS["en"]["held"].format(text="Li Si", question="ID number") in text_of(confirm)
    # Back to the name meanwhile from another tab: the confirmation now names the question asked now.
    await web.submit(command="back")
    web.page = confirm
    page = await held_answer(web, "Yes, use it as the answer")
    assert page.keys == []
    assert WORDS["en"]["held"].format(text="Li Si", question="Name") in text_of(page)
    assert (await session_answers(database, web))["name"] == "Zhang San"
    page = await held_answer(web, "Yes, use it as the answer")
    assert page.keys == ["intake.id_number.prompt"]
    assert (await session_answers(database, web))["name"] == "Li Si"
    # Typing something else instead of saying yes or no drops what was held.
    web.page = old
    page = await web.send("Wang Wu")
    assert "Wang Wu" in text_of(page) and "Yes, use it as the answer" in text_of(page)
    page = await web.send("110105198001010016")
    assert page.keys == ["intake.mobile.prompt"] and "Yes, use it as the answer" not in text_of(page)
    assert "Wang Wu" not in text_of(page)


async def test_a_slash_command_from_an_old_page_is_no_answer_and_runs(browser):
    web = browser(language="en")
    await back_on_the_name_page(web)
    page = await web.send("/help")
    assert page.keys[0] == "command.help" and page.keys[-1] == "intake.id_number.prompt"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_the_command_buttons_do_what_the_commands_do(browser, locale):
    words = WORDS[locale]
    web = browser(language=LANGUAGE[locale])
    page = await at_the_name_question(web)
    page = await web.send("张三")
    for label in (words["back"], words["progress"], words["human"], words["restart"]):
        assert f'>{label}</button>' in page.html
    page = await web.submit(command="back")
    assert page.keys == ["intake.name.prompt"]
    assert any(m.text == words["back"] for m in page.messages if m.mine)
    page = await web.submit(command="status")
    assert page.keys == ["status.list", "intake.name.prompt"]
    page = await web.submit(command="human")
    assert page.keys[0] == "human.recorded"
    page = await web.submit(command="restart")
    assert page.keys == ["cancel.confirm"]
    page = await web.press_value(page.live_buttons()[0][0])  # yes, cancel
    assert page.keys == ["cancel.done"]
    # Nothing in progress: 上一题 is not offered, 重新开始 starts anew.
    assert 'name="command" value="back"' not in page.html and 'name="command" value="restart"' in page.html
    page = await web.submit(command="restart")
    assert page.keys[-1] == "intake.consent.prompt"
    # The commands still work typed.
    page = await web.send("/status")
    assert page.keys[0] == "status.list"
    # Not a command the page offers: nothing happens but an empty-message notice.
    assert (await web.submit(command="cancel_everything")).notice


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_a_returning_resident_is_welcomed_at_the_live_question_older_messages_folded(browser, clock, locale):
    words = WORDS[locale]
    web = browser(language=LANGUAGE[locale])
    await at_the_name_question(web)
    await web.send("张三")
    page = await web.send("110105198001010016")
    assert words["welcome"] not in text_of(page)  # in the middle of answering: no welcome
    clock.advance(timedelta(hours=2))
    page = await web.open()
    welcome = re.search(r'<div class="here" id="latest" tabindex="-1" autofocus>\n<p class="welcome">(.*?)</p>',
                        page.html)
    assert welcome, page.html
    assert words["welcome"] in welcome.group(1)
    assert words["left_at"].format(question=words["mobile"]) in unescape(welcome.group(1))
    # The welcome is followed by the live question; what came before is folded behind "show earlier".
    after = page.html[welcome.end():]
    assert 'data-key="intake.mobile.prompt"' in after[:after.index("</ol>\n</div>")]
    assert "<details" in page.html and words["earlier"] in text_of(page)
    folded = page.html[page.html.index("<details"):page.html.index("</details>")]
    assert 'data-key="intake.welcome"' in folded and 'data-key="intake.mobile.prompt"' not in folded
    assert page.html.count(" autofocus") == 1 and page.html.count('id="latest"') == 1


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_a_returning_resident_opens_at_the_first_update_below_a_status_panel(browser, database,
                                                                                    chat_conversations, clock, locale):
    words = WORDS[locale]
    account = await add_staff(database, "wang")
    web = browser(language=LANGUAGE[locale])
    await web.open()
    _, number = await casework.applied(chat_conversations, database, "web", web.web_id,
                                       locale=locale)
    page = await web.send("/status")
    clock.advance(timedelta(days=1))
    await acted(chat_conversations, database, clock, account, number, START_REVIEW,
                request_info("请补交医院的诊断证明"))
    page = await web.open()
    panel = page.html[page.html.index('class="panel"'):page.html.index("</section>")]
    panel_text = unescape(re.sub(r"<[^>]+>", "", panel))
    assert words["panel"] in panel_text and number in panel_text and words["status"] in panel_text
    assert "请补交医院的诊断证明" in panel_text and words["reply"] in panel_text
    # The page opens at the welcome, right before the first update they have not seen.
    welcome = page.html.index('<p class="welcome">')
    first_new = page.html.index('class="msg bot new"')
    assert page.html.index('class="panel"') < welcome < first_new
    assert words["welcome"] in text_of(page)
    # The panel's button answers the request.
    value = re.search(r'name="action" value="([^"]+)"', panel).group(1)
    page = await web.submit(action=value)
    assert page.keys[0] == "reply.welcome"


async def test_the_panel_is_absent_for_a_resident_with_nothing_to_show(browser):
    web = browser(language="en")
    page = await at_the_name_question(web)
    assert 'class="panel"' not in page.html


async def test_the_larger_text_is_kept_in_a_cookie_and_needs_the_form_token(browser, client):
    web = browser(language="zh-CN")
    page = await web.open()
    assert 'class="large"' not in page.html and 'aria-pressed="false"' in page.html
    assert WORDS["zh_CN"]["large"] in text_of(page)
    refused = await web.submit("/chat/text-size", token="x", large="1")
    assert refused.status == 403
    response = await client.post("/chat/text-size", data={"csrf": page.csrf, "large": "1"}, allow_redirects=False,
                                 headers={"Cookie": f"yimen_chat={web.cookie}"})
    assert response.status == 303 and "no-store" in response.headers["Cache-Control"]
    cookie = response.cookies["yimen_text"]
    assert cookie.value == "large" and cookie["path"] == "/chat" and int(cookie["max-age"]) > 300 * 24 * 3600
    big = await client.get("/chat", headers={"Cookie": f"yimen_chat={web.cookie}; yimen_text=large"})
    html = await big.text()
    assert '<html lang="zh-CN" class="large">' in html and 'aria-pressed="true"' in html and 'value="0"' in html
    # Back to the usual size: the cookie goes.
    response = await client.post("/chat/text-size", data={"csrf": page.csrf, "large": "0"}, allow_redirects=False,
                                 headers={"Cookie": f"yimen_chat={web.cookie}; yimen_text=large"})
    assert response.cookies["yimen_text"].value == ""


async def test_a_held_answer_is_settled_only_by_its_own_browser(browser, database):
    web = browser(language="en")
    await back_on_the_name_page(web)
    page = await web.send("Li Si")
    held = re.search(r'name="held" value="use:(\d+)"', page.html).group(1)
    other = browser(language="en")
    await at_the_name_question(other)
    refused = await other.submit(held=f"use:{held}")
    assert refused.notice.startswith("This page was out of date") and refused.keys == []
    assert (await session_answers(database, other)).get("name") is None
    # Still waiting for its own browser's word.
    page = await web.open()
    assert WORDS["en"]["held"].format(text="Li Si", question="ID number") in text_of(page)
