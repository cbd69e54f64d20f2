"""A volunteer's whole task at the terminal (``yimen chat``), typed line by line: registration, the
home instead of the intake, the ping answered by a word in the middle of an application of their
own, check-in, check-out with a photo, the household's rating, hours and points in /points and on
the home."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from backend.buttons import AnswerTask, TaskChoice
from backend.volunteers.ports import TaskStatus
from bot import callbacks
from bot.terminal import TerminalChat
from flows import events as ev
from tests.bot.casework import applied, dispatched
from tests.cases.helpers import add_staff
from tests.volunteers.helpers import spec, volunteer

# Tuesday 1 December 2026, 09:00 in the region: the task starts then and takes 90 minutes.
STARTS = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
MONDAY_8AM = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def chat(conversations, user):
    return TerminalChat(conversations, user=user, out=io.StringIO(), echo=True)


def since(terminal, mark: int) -> str:
    return terminal.out.getvalue()[mark:]


async def register(terminal):
    """The registration typed as a retired teacher would: numbers and the options' words."""
    for line in ("/start volunteer", "1", "1", "王老师", "13912345678", "1", "完成", "陪同就医", "完成", "工作日上午",
                 "完成"):
        await terminal.send(line)
    mark = len(terminal.out.getvalue())
    await terminal.send("1")  # the summary's first button: submit
    receipt = since(terminal, mark)
    assert "登记成功" in receipt and "请选择您使用的语言" not in receipt  # not sent back into the intake
    async with terminal.conversations.database.unit_of_work() as uow:
        resident = await uow.residents.find("terminal", terminal.user)
        # The application they never began (the language question shown) is not kept to remind them of.
        assert await uow.sessions.load(resident.id, "intake") is None


async def task_for(conversations, database, clock, number, minutes=90):
    wang = (await add_staff(database, "wang")).user
    async with database.unit_of_work() as uow:
        volunteers = [v for v in [await uow.volunteers.get(1)] if v]
        for volunteer in volunteers:
            await uow.volunteers.qualify(volunteer.id, "hospital_escort", by="wang", at=clock())
        task = await conversations.services.backend.volunteering.create_task(
            uow, wang, spec(starts_at=STARTS, minutes=minutes, number=number), now=clock())
        await uow.commit()
    return task


async def test_a_task_from_ping_to_points_at_the_terminal(conversations, database, clock, tmp_path):
    teacher = chat(conversations, "teacher")
    await teacher.open()
    await register(teacher)
    # Right after registering, the next conversation is the volunteer's home, not an application.
    mark = len(teacher.out.getvalue())
    await teacher.send("你好")
    home = since(teacher, mark)
    assert "这是您的志愿者主页" in home and "目前没有待处理的任务" in home and "同意，继续" not in home
    assert "我自己要申请救助" in home

    _, number = await applied(conversations, database, "terminal", "household", locale="zh_CN")
    task = await task_for(conversations, database, clock, number)
    # It is Sunday: a weekday-morning volunteer is asked from Monday 08:00, not before.
    await dispatched(database, clock)
    mark = len(teacher.out.getvalue())
    await teacher.send("你好")
    assert "待您答复的任务" not in since(teacher, mark)

    # The volunteer begins an application for help of their own from the home...
    await teacher.send("/start")
    mark = len(teacher.out.getvalue())
    await teacher.send("我自己要申请救助")
    assert "一门" in since(teacher, mark) and "您同意吗" in since(teacher, mark)
    # ...and on Monday morning the ping arrives above its question: the word answers it.
    clock.advance(MONDAY_8AM - clock())
    await dispatched(database, clock)
    mark = len(teacher.out.getvalue())
    await teacher.send("/start")  # back to the application
    shown = since(teacher, mark)
    assert "您附近有一项志愿服务" in shown and "[接受]  [婉拒]" in shown and "1. 同意，为自己申请" in shown
    await teacher.send("接受")
    assert "感谢您承接此项服务" in since(teacher, mark) and "湖滨路 8 号 3 单元" in since(teacher, mark)
    # The numbers still answer the application's question: 3 does not agree, the application ends...
    mark = len(teacher.out.getvalue())
    await teacher.send("3")
    assert "您的任何信息我们都没有保存" in since(teacher, mark)
    # ...and the home is back, with the task taken.
    mark = len(teacher.out.getvalue())
    await teacher.send("你好")
    home = since(teacher, mark)
    assert "您承接的任务" in home and "到达后请签到" in home

    # Tuesday: checked in on arrival (typed by number on the home), out 85 minutes later, a photo after.
    clock.advance(STARTS - timedelta(minutes=5) - clock())
    mark = len(teacher.out.getvalue())
    await teacher.send("1")
    assert "已签到" in since(teacher, mark)
    clock.advance(timedelta(minutes=85))
    mark = len(teacher.out.getvalue())
    await teacher.send("签退")
    assert "已记录服务时长 1.42 小时，积分 14 分已到账" in since(teacher, mark)
    photo = tmp_path / "after.png"
    photo.write_bytes(PNG)
    await teacher.send(f"/file {photo}")
    assert "照片已添加到您的服务记录" in teacher.out.getvalue()

    # The household rates it, by the stars' word, above whatever question they are at.
    await dispatched(database, clock)
    household = chat(conversations, "household")
    await household.open()
    assert "志愿者老师反馈服务" in household.out.getvalue()
    await household.send("★★★★★")
    assert "感谢您的评价（5 星）" in household.out.getvalue()

    # /points and the home say the same hours and points.
    mark = len(teacher.out.getvalue())
    await teacher.send("/points")
    assert "您现有积分 14 分，累计服务 1.42 小时" in since(teacher, mark)
    await teacher.send("你好")
    assert "累计服务 1.42 小时，现有积分 14 分" in since(teacher, mark)
    async with database.unit_of_work() as uow:
        done = await uow.tasks.get(task.id)
    assert done.status is TaskStatus.CONFIRMED and done.rating == 5 and done.served_minutes == 85
    assert done.photo_document_id is not None and done.checked_in_at == STARTS - timedelta(minutes=5)
    # The same check-out again changes nothing.
    again = await conversations.handle("terminal", "teacher",
                                       ev.Choice(callbacks.encode(AnswerTask(task.id, TaskChoice.CHECK_OUT))))
    assert again[0].key == "task.answered"


async def test_each_yimen_chat_run_opens_the_home_where_the_ping_is_answered_by_number(conversations, database,
                                                                                    clock):
    """The blocker as it was seen: a ping, then a new ``yimen chat`` run. The home lists the ping;
    1 accepts it (not a welfare application), and a second volunteer who types 接受 is told it is taken."""
    clock.advance(MONDAY_8AM - clock())
    for user, name in (("first", "王老师"), ("second", "李阿姨")):
        await volunteer(database, user, name=name, channel="terminal", now=clock())
    wang = (await add_staff(database, "wang")).user
    async with database.unit_of_work() as uow:
        task = await conversations.services.backend.volunteering.create_task(uow, wang, spec(starts_at=STARTS),
                                                                              now=clock())
        await uow.commit()
    await dispatched(database, clock)
    first = chat(conversations, "first")
    await first.open()
    home = first.out.getvalue()
    assert "待您答复的任务" in home and "#1 湖滨街道" in home and "1. 接受" in home and "同意，继续" not in home
    again = chat(conversations, "first")  # the next run: the ping still waits on the home
    await again.open()
    assert "1. 接受" in again.out.getvalue()
    await again.send("1")
    assert "感谢您承接此项服务" in again.out.getvalue()
    second = chat(conversations, "second")
    await second.open()
    assert "[接受]  [婉拒]" in second.out.getvalue()  # the ping shown above the home, taken meanwhile
    await second.send("接受")
    assert "此项服务已由其他志愿者先行承接" in second.out.getvalue()
    await second.send("/cancel")  # as the tester did: still the home
    assert "这是您的志愿者主页" in second.out.getvalue().split("> /cancel")[1]
    async with database.unit_of_work() as uow:
        found = await uow.tasks.get(task.id)
    assert found.status is TaskStatus.ASSIGNED and found.volunteer_id == 1


async def test_a_volunteer_with_an_open_application_writes_to_it_and_still_has_the_home(conversations, database,
                                                                                       clock):
    await volunteer(database, "both", name="王老师", channel="terminal", now=clock())
    await applied(conversations, database, "terminal", "both", locale="zh_CN")
    said = await conversations.handle("terminal", "both", ev.Text("请问我的申请进度如何"))
    assert said[-1].key == "thread.received"  # the words went on the case's thread, as any applicant's
    home = await conversations.handle("terminal", "both", ev.Command("start"))
    assert home[-1].key == "volunteer.home"
