"""In the chat, beside the intake: answering a request for information with one button, joining
the scheme from an invitation, the volunteer's own commands, a photo after check-in, and staff commands."""

from __future__ import annotations

from datetime import timedelta

from backend.cases.lifecycle import CaseStatus
from backend.cases.ports import Role
from bot.staff_commands import StaffCommands
from bot.terminal import CHANNEL
from flows import events as ev
from tests.bot import casework
from tests.bot.casework import START_REVIEW, acted, dispatched, request_info
from tests.cases.helpers import NOW, add_staff, payload
from tests.volunteers.helpers import TUESDAY_MORNING, spec, volunteer


async def say(conversations, who, event, **kw):
    if isinstance(event, str):
        event = ev.Command(*event[1:].split(" ", 1)) if event.startswith("/") else ev.Text(event)
    return await conversations.handle(CHANNEL, who, event, **kw)


async def applied(conversations, database, who="household", data=None):
    return await casework.applied(conversations, database, CHANNEL, who, data=data)


def button(replies, label):
    for reply in replies:
        for b in reply.buttons:
            if b.label == label:
                return b.value
    raise AssertionError(f"no {label!r} in {[[b.label for b in r.buttons] for r in replies]}")


async def test_reply_now_takes_the_resident_into_answering_and_the_case_back_to_review(conversations, database, clock):
    account = await add_staff(database, "wang")  # the case is assigned to wang on arrival
    _, number = await applied(conversations, database)
    # A terminal resident reads it when next writing, with the button.
    await acted(conversations, database, clock, account, number, START_REVIEW,
                request_info("Please send the hospital bill"))
    replies = await say(conversations, "household", "hello")
    assert any("Please send the hospital bill" in r.text for r in replies)
    started = await say(conversations, "household", ev.Choice(button(replies, "Reply now")))
    assert number in started[0].text and started[-1].key == "reply.answer.prompt"
    await say(conversations, "household", "The bill is attached; we paid 3,200 yuan.")
    await conversations.upload(CHANNEL, "household", "bill.png", "image/png", b"\x89PNG\r\n\x1a\n fake")
    summary = await say(conversations, "household", ev.Choice("_done"))
    assert summary[-1].key == "reply.summary"
    receipt = await say(conversations, "household", ev.Choice("_confirm"))
    assert receipt[0].key == "reply.receipt"
    async with database.unit_of_work() as uow:
        case = await uow.cases.get(number)
        messages = await uow.threads.messages(number)
        history = await uow.cases.history(number)
        resident = await uow.residents.identify(CHANNEL, "household", now=NOW)
    assert case.status is CaseStatus.UNDER_REVIEW
    # The answer and the photo are on the case's thread, after the question (and the "hello",
    # kept as a message).
    assert [(m.kind.value, m.body, len(m.document_ids)) for m in messages] == [
        ("question", "Please send the hospital bill", 0),
        ("message", "hello", 0),
        ("reply", "The bill is attached; we paid 3,200 yuan.", 1),
    ]
    assert history[-1].action == "receive_info"
    assert resident.active_flow is None  # back to the intake
    # The same button again: nothing is waiting for an answer any more.
    again = await say(conversations, "household", ev.Choice(f"reply:{number}"))
    assert again[0].key == "reply.not_needed"
    # Someone else's application: not theirs to answer.
    stranger = await say(conversations, "stranger", ev.Choice(f"reply:{number}"))
    assert all(r.key != "reply.welcome" for r in stranger)


async def test_accepting_the_scheme_invitation_opens_the_registration_and_ends_back_in_the_intake(
    conversations, database, clock
):
    data = payload(2)
    data["members"][0]["work"] = "unemployed"
    resident, _ = await applied(conversations, database, "jobless", data)
    # The offers go as one digest an hour after the receipt, not with it.
    await dispatched(database, clock)
    assert all(r.key != "notice.offers" for r in await say(conversations, "jobless", "hi"))
    clock.advance(timedelta(hours=1))
    await dispatched(database, clock)
    replies = await say(conversations, "jobless", "hi")
    (digest,) = [r for r in replies if r.key == "notice.offers"]
    assert "joining the credit + volunteer scheme yourself" in digest.text
    (listed,) = await say(conversations, "jobless", ev.Choice(button([digest], "Your offers")))
    assert listed.key == "offers.list"
    async with database.unit_of_work() as uow:
        kinds = [o.kind for o in await uow.offers.open_for(resident, now=clock())]
    accept = button([listed], f"Accept {kinds.index('scheme') + 1}")
    opened = await say(conversations, "jobless", ev.Choice(accept))
    assert opened[0].key == "offer.scheme_accepted" and opened[1].key == "volunteer.welcome"
    async with database.unit_of_work() as uow:
        assert (await uow.residents.get(resident)).active_flow == "volunteer"
    await say(conversations, "jobless", "/cancel")
    await say(conversations, "jobless", ev.Choice("_yes"))
    async with database.unit_of_work() as uow:
        assert (await uow.residents.get(resident)).active_flow is None
    # An offer is never repeated once answered.
    assert (await say(conversations, "jobless", ev.Choice(accept)))[0].key == "offer.answered"


async def test_volunteer_commands_answer_on_the_side(conversations, database):
    assert (await say(conversations, "nobody", "/points"))[0].key == "volunteer.not_registered"
    helper = await volunteer(database, "helper", channel=CHANNEL)
    assert (await say(conversations, "helper", "/pause"))[0].key == "volunteer.paused"
    async with database.unit_of_work() as uow:
        assert (await uow.volunteers.get(helper.id)).paused
    assert (await say(conversations, "helper", "/resume"))[0].key == "volunteer.resumed"
    points = await say(conversations, "helper", "/points")
    assert points[0].key == "points.balance" and "您现有积分 0 分" in points[0].text
    assert (await say(conversations, "helper", "/code lots"))[0].key == "points.code_usage"
    assert (await say(conversations, "helper", "/code 5"))[0].key == "points.code_refused"


async def test_a_photo_after_check_in_joins_the_task(conversations, database, clock):
    account = await add_staff(database, "wang")
    await volunteer(database, "helper", channel=CHANNEL)
    async with database.unit_of_work() as uow:
        task = await conversations.services.backend.volunteering.create_task(uow, account.user, spec(), now=NOW)
        await uow.commit()
    await say(conversations, "helper", ev.Choice(f"task:{task.id}:accept"))
    clock.advance(TUESDAY_MORNING + timedelta(hours=3) - clock())
    thanks = await say(conversations, "helper", ev.Choice(f"task:{task.id}:done"))
    assert thanks[0].key == "task.thanks"
    added = await conversations.upload(CHANNEL, "helper", "done.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 fake")
    assert added[0].key == "task.photo_added"
    async with database.unit_of_work() as uow:
        found = await uow.tasks.get(task.id)
        assert found.photo_document_id is not None
        assert (await uow.documents.get(found.photo_document_id)).filename == "done.jpg"


class RecordingDesk:
    def __init__(self) -> None:
        self.told: list[tuple[str, str, dict]] = []

    async def tell(self, user, key, params) -> None:
        self.told.append((user.username, key, params))


async def test_staff_create_a_task_in_chat_and_a_refusal_writes_nothing(conversations, database, clock):
    account = await add_staff(database, "wang")
    _, number = await applied(conversations, database)
    await volunteer(database, "helper", skills=("companion",))
    desk = RecordingDesk()
    commands = StaffCommands(database, desk=desk, volunteering=conversations.services.backend.volunteering,
                             ledger=conversations.services.backend.ledger, clock=clock)
    command = ev.Command("task", f"{number} companion 2026-12-01 09:00 60 湖滨路 8 号 | 陪伴聊天")
    assert await commands.handle(account.user, command)
    # Whom it was offered to and when: it is Sunday, the weekday-morning volunteer is asked on Monday at 08:00.
    assert desk.told[-1][1] == "desk.task_pinged"
    assert desk.told[-1][2]["pings"] == [{"name": "李志愿", "at": "2026-11-30T00:00:00+00:00"}]
    async with database.unit_of_work() as uow:
        (task,) = await uow.tasks.for_application(number)
    assert task.spec.details == "陪伴聊天" and task.spec.address == "湖滨路 8 号" and task.spec.duration_minutes == 60
    assert task.spec.given_name  # from the applicant's name, never more
    await commands.handle(account.user, ev.Command("task", f"{number} juggling 2026-12-01 09:00 60 somewhere"))
    assert desk.told[-1][1] == "desk.task_refused"
    await commands.handle(account.user, ev.Command("task", "too short"))
    assert desk.told[-1][1] == "desk.task_usage"
    # A caseworker cannot confirm a merchant's code, nor a merchant create a task.
    await commands.handle(account.user, ev.Command("redeem", "12345678"))
    assert desk.told[-1][1] == "desk.redeem_refused"
    shop = await add_staff(database, "shop", Role.MERCHANT)
    await commands.handle(shop.user, ev.Command("task", f"{number} companion 2026-12-01 09:00 60 x"))
    assert desk.told[-1][1] == "desk.task_refused"
    assert not await commands.handle(account.user, ev.Command("close", ""))  # the desk's own command
