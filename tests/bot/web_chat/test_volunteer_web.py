"""A volunteer's whole task in the web chat, through the aiohttp test client: the home, the ping
accepted by its button, check-in and check-out by buttons, a photo, the household's rating, and the
same hours and points in /points and on the home."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.volunteers.ports import SLOTS, TaskStatus
from tests.bot.casework import dispatched
from tests.cases.helpers import add_staff, payload
from tests.volunteers.helpers import spec, volunteer

STARTS = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in the region
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


async def household_applied(conversations, database, handle, clock, channel="web"):
    """A household of ``channel`` that has applied: its application's number."""
    async with database.unit_of_work() as uow:
        resident = await uow.residents.identify(channel, handle, now=clock())
        outcome = await conversations.services.intake.submit(uow, payload(5), resident_id=resident.id,
                                                             document_ids=[], now=clock())
        await uow.commit()
    return outcome.application.number


async def test_a_task_from_ping_to_points_in_the_web_chat(browser, chat_conversations, database, clock):
    teacher, household = browser(), browser()
    await teacher.start()
    await household.start()
    helper = await volunteer(database, teacher.web_id, name="王老师", channel="web", slots=SLOTS, now=clock())
    page = await teacher.send("你好")
    assert page.new[-1].key == "volunteer.home" and "这是您的志愿者主页" in page.new[-1].text
    assert [label for _, label in page.new[-1].buttons] == ["我自己要申请救助"]

    number = await household_applied(chat_conversations, database, household.web_id, clock)
    wang = (await add_staff(database, "wang")).user
    async with database.unit_of_work() as uow:
        task = await chat_conversations.services.backend.volunteering.create_task(
            uow, wang, spec(starts_at=STARTS, minutes=90, number=number), now=clock())
        await uow.commit()
    await dispatched(database, clock)

    # The ping waits on the page; its own button accepts it.
    page = await teacher.open()
    assert any("您附近有一项志愿服务" in m.text for m in page.messages)
    page = await teacher.press("接受")
    assert "感谢您承接此项服务" in page.new[-1].text and "湖滨路 8 号 3 单元" in page.new[-1].text

    # Tuesday: check in by the button the acceptance carried, check out 90 minutes later.
    clock.advance(STARTS - clock())
    page = await teacher.press("签到")
    assert page.new[-1].key == "task.checked_in"
    clock.advance(timedelta(minutes=90))
    page = await teacher.press("签退")
    assert "已记录服务时长 1.50 小时，积分 15 分已到账" in page.new[-1].text
    page = await teacher.upload("after.png", PNG, "image/png")
    assert page.new[-1].key == "task.photo_added"

    # The household rates it with the stars on its page.
    await dispatched(database, clock)
    page = await household.open()
    assert any("志愿者老师反馈服务" in m.text for m in page.messages)
    page = await household.press("★★★★")
    assert "感谢您的评价（4 星）" in page.new[-1].text

    page = await teacher.send("/points")
    assert "您现有积分 15 分，累计服务 1.50 小时" in page.new[-1].text
    page = await teacher.send("你好")
    assert "累计服务 1.50 小时，现有积分 15 分" in page.new[-1].text
    async with database.unit_of_work() as uow:
        done = await uow.tasks.get(task.id)
    assert done.status is TaskStatus.CONFIRMED and done.rating == 4 and done.served_minutes == 90
    assert done.volunteer_id == helper.id and done.photo_document_id is not None
