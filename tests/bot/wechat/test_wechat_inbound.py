"""What each kind of push becomes: a picture kept as a document, a location or a link answered
politely with nothing stored, an unclear voice message asked to be typed, menu clicks and QR
code scenes as commands and deep links, and /link joining a resident of another channel."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.db.models import DocumentRow, OutboxRow, ResidentRow
from tests.bot.wechat.driver import say, settled
from tests.cases.helpers import NOW


async def _count(database, table) -> int:
    async with database.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(table)))


async def test_a_location_and_a_link_are_answered_and_nothing_is_stored(platform, channel, database):
    follower = platform.follower("o_where")
    await say(database, channel, follower, "/start")
    await follower.send_location()
    await settled(database, channel, follower)
    assert follower.texts()[-1].startswith("谢谢，我们不需要您的位置")
    await follower.send_link()
    await settled(database, channel, follower)
    # Said in words that hold without buttons, and the question asked again.
    answer = follower.texts()[-1]
    assert answer.startswith("抱歉，暂时无法处理链接。请按下面的问题作答。\n\n第 1 步"), answer
    assert await _count(database, DocumentRow) == 0


async def test_an_empty_recognition_asks_to_type_and_makes_no_turn(platform, channel, database):
    follower = platform.follower("o_mumble")
    await say(database, channel, follower, "/start")
    unclear = "抱歉，没有听清您的语音。请打字回答，或回复选项前的序号。"
    assert await say(database, channel, follower, "voice:") == [unclear]
    # The question they were at is still the one a number answers.
    assert "开始之前" in (await say(database, channel, follower, "1"))[0]


async def test_menu_clicks_and_qr_scenes_are_commands_and_deep_links(platform, channel, database):
    follower = platform.follower("o_menus")
    await follower.subscribe(scene="volunteer")
    await settled(database, channel, follower)
    assert any("志愿" in t for t in follower.texts()), follower.texts()
    await follower.click("help")
    await settled(database, channel, follower)
    assert "找工作人员" in follower.texts()[-1]


async def test_a_posters_scene_opens_the_application(platform, channel, database):
    """A scene Yimen does not know (a poster's name, from ``yimen wechat qrcode``) opens the
    application, as following the account does."""
    follower = platform.follower("o_poster")
    await follower.subscribe(scene="poster-community-centre")
    await settled(database, channel, follower)
    assert follower.texts()[0].startswith("您好！这里是“一门”社会救助服务"), follower.texts()


async def test_link_joins_the_resident_of_another_channel(platform, channel, database, wechat_conversations):
    from tests.bot import casework

    resident, number = await casework.applied(wechat_conversations, database, "terminal", "at-home", locale="zh_CN")
    async with database.unit_of_work() as uow:
        code = await wechat_conversations.links.issue(uow, resident, now=NOW)
        await uow.commit()
    follower = platform.follower("o_linked")
    (answer,) = await say(database, channel, follower, f"/link {code}")
    assert answer.startswith("绑定成功"), answer
    assert any(number in t for t in await say(database, channel, follower, "/status"))
    assert await _count(database, ResidentRow) == 1


async def test_a_home_visits_qr_code_opens_the_application_filled_in(platform, database, config, clock,
                                                                    translations, wechat_config):
    from bot.app import build_conversations
    from tests.bot.test_outreach import OUTREACH, household
    from tests.bot.wechat.conftest import running_channel

    await household(database, clock, "H-9")  # alert 1, nobody of the household in any chat
    conversations = build_conversations(config, database, clock=clock, translations=translations,
                                        outreach=OUTREACH)
    async with running_channel(platform, conversations, wechat_config, reply_window=1.5) as wechat:
        follower = platform.follower("o_visited")
        await follower.subscribe(scene=OUTREACH.link(1))  # scanned the caseworker's QR code, subscribing
        await settled(database, wechat, follower)
        async with database.engine.connect() as connection:
            keys = (await connection.execute(select(OutboxRow.payload["key"].as_string()).where(
                OutboxRow.address == "o_visited").order_by(OutboxRow.id))).scalars().all()
        assert keys[0] == "outreach.prefilled", keys
        assert follower.texts()[0].startswith("以下是街道预先填好的申请")


async def test_the_commands_named_in_the_menu_and_hints_work_when_typed(platform, channel, database):
    """WeChat has no keyboard of the resident's own buttons: what the menu and the hints call the
    commands (查看进度, 找工作人员, in either language) typed as text is the command, as /status is."""
    follower = platform.follower("o_typed_labels")
    await say(database, channel, follower, "/start")
    by_command = await say(database, channel, follower, "/status")
    assert by_command and await say(database, channel, follower, "查看进度") == by_command
    assert await say(database, channel, follower, " my   Applications ") == by_command
    asked = await say(database, channel, follower, "找工作人员")
    assert asked == await say(database, channel, follower, "/human"), asked
