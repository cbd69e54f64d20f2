"""A volunteer's whole task on WeChat, through the platform emulator: the home, the ping accepted by
its word, check-in and check-out typed, a photo, the household's rating by number, and the same
hours and points in /points and on the home."""

from __future__ import annotations

from datetime import timedelta

from backend.volunteers.ports import SLOTS, TaskStatus
from tests.bot.casework import dispatched
from tests.bot.web_chat.test_volunteer_web import PNG, STARTS, household_applied
from tests.bot.wechat.driver import option, say, settled
from tests.cases.helpers import add_staff
from tests.volunteers.helpers import spec, volunteer


async def _delivered(database, channel, follower, clock) -> list[str]:
    """What the dispatcher and the sender brought the follower since the last look."""
    before = len(follower.received())
    await dispatched(database, clock)
    channel.sender.wake()
    await settled(database, channel, follower)
    return follower.texts()[before:]


async def test_a_task_from_ping_to_points_on_wechat(platform, channel, database, wechat_conversations, clock):
    teacher, household = platform.follower("o_teacher"), platform.follower("o_household")
    helper = await volunteer(database, teacher.openid, name="王老师", channel="wechat", slots=SLOTS, now=clock())
    home = await say(database, channel, teacher, "你好")
    assert any("这是您的志愿者主页" in t for t in home), home

    number = await household_applied(wechat_conversations, database, household.openid, clock, "wechat")
    # The household wrote lately: WeChat lets a service account write back within 48 hours.
    assert any(number in t for t in await say(database, channel, household, "/status"))
    wang = (await add_staff(database, "wang")).user
    async with database.unit_of_work() as uow:
        task = await wechat_conversations.services.backend.volunteering.create_task(
            uow, wang, spec(starts_at=STARTS, minutes=90, number=number), now=clock())
        await uow.commit()
    ping = await _delivered(database, channel, teacher, clock)
    assert any("您附近有一项志愿服务" in t for t in ping), ping

    # Accepted by its word, as typed on a phone: WeChat has no inline buttons.
    accepted = await say(database, channel, teacher, "接受")
    assert any("感谢您承接此项服务" in t and "湖滨路 8 号 3 单元" in t for t in accepted), accepted

    clock.advance(STARTS - clock())
    assert any("签到" in t for t in await say(database, channel, teacher, "签到"))
    clock.advance(timedelta(minutes=90))
    checked_out = await say(database, channel, teacher, "签退")
    assert any("已记录服务时长 1.50 小时，积分 15 分已到账" in t for t in checked_out), checked_out
    before = len(teacher.received())
    await teacher.send_image(PNG)
    await settled(database, channel, teacher)
    assert teacher.texts()[before:], "the photo was not acknowledged"

    # The household rates the help by the number of its stars.
    asked = await _delivered(database, channel, household, clock)
    assert any("志愿者老师反馈服务" in t for t in asked), asked
    rated = await say(database, channel, household, option(asked, "★★★★"))
    assert any("感谢您的评价（4 星）" in t for t in rated), rated

    assert any("您现有积分 15 分，累计服务 1.50 小时" in t for t in await say(database, channel, teacher, "/points"))
    assert any("累计服务 1.50 小时，现有积分 15 分" in t for t in await say(database, channel, teacher, "你好"))
    async with database.unit_of_work() as uow:
        done = await uow.tasks.get(task.id)
    assert done.status is TaskStatus.CONFIRMED and done.rating == 4 and done.served_minutes == 90
    assert done.volunteer_id == helper.id and done.photo_document_id is not None
