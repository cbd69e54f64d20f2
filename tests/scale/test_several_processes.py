"""Several Yimen processes on one PostgreSQL database, over loopback, as a city runs them.

Two ``yimen serve --role bot`` take Telegram's webhook calls behind a round-robin proxy, beside
one ``--role api`` and one ``--role worker``. Telegram (the emulator) POSTs updates over several
parallel connections, so two messages of one chat reach the two bots at once. 100 residents
each apply for a household of one, sending their answers in bursts without waiting for the
replies; one bot is killed with SIGKILL halfway through and started again. Every resident must
finish, with the very conversation a resident taking one turn at a time has (so every answer was
taken in order and every reply came once), and nothing may break Telegram's flood limits.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Sequence

import pytest
from sqlalchemy import select
from stdnum.cn import ric

from backend.cases.ports import Role
from backend.db.models import ApplicationRow
from tests.bot.telegram_driver import Action, Tap, last_with_buttons, settled
from tests.cases.helpers import add_staff
from tests.fakes.telegram_api import BotApiEmulator, SentMessage, SimUser
from tests.scale.cluster import Cluster

RESIDENTS = 100
FIRST_CHAT = 5_000_000
# A household of one, in groups: a group's posts go at once, without waiting for the replies (a
# press on the question on screen, then typed answers to the questions after it); the resident
# waits for the group's replies before the next. 18 posts, /start included.
GROUPS: tuple[tuple[Action, ...], ...] = (
    ("/start",),
    (Tap(0), "张三", "ID", "13800138000"),  # I agree, for myself; name, ID number, mobile
    (Tap(0),),  # 明湖区 · 湖滨街道
    (Tap(3),),  # no urgent need
    (Tap(0),),  # one person
    (Tap(0),),  # healthy
    (Tap(2),),  # unemployed
    (Tap(0),),  # no income
    (Tap(4), "两千"),  # no other income; savings
    (Tap(1), "8000"),  # no vehicle, one home; medical spending
    (Tap(0), "失业了"),  # own home; what happened
    (Tap(0),),  # submit
)
GROUP_TIMEOUT = 150.0
# How long after the kill the emulator may still take requests the killed process had sent (they
# wait in the emulator's socket until its event loop, shared with the test, reads them).
IN_FLIGHT = 0.2
# A send is marked sent within this long of Telegram accepting it (the marks of sends that finish
# together share one commit): only a reply the killed process sent this close to the kill may go
# out again. A reply repeated from earlier would mean a mark that was lost or never made.
MARKED_WITHIN = 1.0
MASKED_ID = re.compile(r"110\*{11}[\dX]{4}")
APPLICATION_NUMBER = re.compile(r"YM\d{14}")

pytestmark = pytest.mark.timeout(420)


def id_number(serial: int) -> str:
    """Distinct ID numbers with one birth date, so that every summary says the same age."""
    body = f"11010519800101{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def groups(serial: int) -> list[list[Action]]:
    return [[id_number(serial) if action == "ID" else action for action in group] for group in GROUPS]


def seen_text(message: SentMessage) -> str:
    """What a resident reads, with what differs between residents (ID number, application number) blanked."""
    text = message.plain_text or message.text or ""
    return APPLICATION_NUMBER.sub("YM…", MASKED_ID.sub("110…", text))


# What each resident posted and when (time.monotonic(), the emulator's clock too), for failures.
POSTED: dict[int, list[tuple[float, Action]]] = {}


async def post(user: SimUser, action: Action) -> None:
    POSTED.setdefault(user.id, []).append((time.monotonic(), action))
    if isinstance(action, Tap):
        message = last_with_buttons(user)
        await user.press(message, message.buttons[action.index]["callback_data"])
    else:
        assert isinstance(action, str)
        await user.send(action)


async def one_post_at_a_time(emulator: BotApiEmulator, database, user: SimUser,
                             plan: Sequence[Sequence[Action]]) -> list[int]:
    """The reference: each post waits until its turn is handled and its replies sent. Returns the
    number of messages the chat holds after each group."""
    counts = []
    for group in plan:
        for action in group:
            before = len(user.sent())
            await post(user, action)
            # Every post has a new message in answer; then nothing of the turn may still wait.
            await emulator.wait_for(user.id, before + 1, timeout=60)
            await settled(database, user, emulator.last_update_id, timeout=60)
        counts.append(len(user.sent()))
    return counts


async def in_groups(emulator: BotApiEmulator, user: SimUser, plan: Sequence[Sequence[Action]],
                    counts: Sequence[int]) -> None:
    """Each group's posts at once; then wait for the group's replies."""
    for number, (group, count) in enumerate(zip(plan, counts, strict=True)):
        try:
            for action in group:
                await post(user, action)
            # A message sent again across the kill is no answer: the resident waits for the next.
            while len(without_repeats(user.sent())) < count:
                await emulator.wait_for(user.id, len(user.sent()) + 1, timeout=GROUP_TIMEOUT)
        except (IndexError, AssertionError, TimeoutError) as error:
            seen = [seen_text(m).splitlines()[0][:40] for m in user.sent()]
            raise AssertionError(f"group {number} {group}: {error!r}; the chat holds {seen}") from None


def without_repeats(messages: list[SentMessage]) -> list[SentMessage]:
    return [m for i, m in enumerate(messages) if i == 0 or not _same(messages[i - 1], m)]


def duplicates_across_the_kill(messages: list[SentMessage], arrived: dict[tuple[int, int], float],
                               killed_at: float) -> tuple[list[SentMessage], list[float]]:
    """The messages without second copies of one sent before the kill; and, for each second copy,
    how long before the kill the first was accepted.

    A message Telegram accepted from the killed process an instant before it could mark it sent
    is sent again by the restarted one: the one duplicate no sender can rule out."""
    kept: list[SentMessage] = []
    dropped: list[float] = []
    for message in messages:
        if kept and _same(kept[-1], message):
            first = arrived.get((kept[-1].chat_id, kept[-1].message_id), 0.0)
            again = arrived.get((message.chat_id, message.message_id), 0.0)
            # The emulator reads a request the killed process had already written a moment after
            # the kill: such a first copy is still the killed process's.
            if first <= killed_at + IN_FLIGHT < again:
                dropped.append(killed_at - first)
                kept[-1] = message  # the copy the resident went on from (pressed, so edited)
                continue
        kept.append(message)
    return kept, dropped


def conversation(emulator: BotApiEmulator, user: SimUser, killed_at: float) -> str:
    """What a resident posted and was sent, in order, timed from the kill (for a failure's message)."""
    calls = [(call.time, f"{call.method} {'ok' if call.ok else 'refused'} "
                         f"{json.dumps(call.params, ensure_ascii=False)[:100]}")
             for call in emulator.calls() if str(call.params.get("chat_id")) == str(user.id)]
    posted = [(at, f"resident: {what!r}") for at, what in POSTED.get(user.id, [])]
    return "\n".join(f"{at - killed_at:+8.3f} s  {what}" for at, what in sorted(calls + posted))


def _same(a: SentMessage, b: SentMessage) -> bool:
    """The same message, but for the choice a press adds to the copy pressed."""
    return _unpressed(a) == _unpressed(b)


def _unpressed(message: SentMessage) -> str:
    return (message.plain_text or message.text or "").split("\n\n✓")[0]


async def test_two_bots_behind_a_proxy_one_killed_keep_every_residents_order_and_send_each_reply_once(
    database, database_url, tmp_path
):
    if database.engine.dialect.name != "postgresql":
        pytest.skip("several processes share one database only on PostgreSQL; SQLite serves one process "
                    "(yimen serve refuses --role bot on it)")
    started = time.monotonic()
    api_token = (await add_staff(database, "bot", Role.BOT_SERVICE)).token
    emulator = BotApiEmulator(token="424242:CLUSTER")
    # Flood limits twice Telegram's per chat (2/s, bursts of 6) and overall 100/s, as a paid
    # broadcast has, so that the run takes minutes, not a quarter of an hour; the bots share both
    # (YIMEN_TELEGRAM_SENDERS), and together must never exceed them.
    emulator.chat_rate, emulator.chat_burst = 2.0, 6
    emulator.global_rate, emulator.global_burst = 100.0, 100
    emulator.webhook_connections = 16
    emulator.webhook_retry_delay = 0.2
    await emulator.start()
    cluster = Cluster(database_url=database_url, api_token=api_token, telegram_url=emulator.url,
                      telegram_token=emulator.token, bots=2, data_dir=tmp_path / "data", overall_rate=100.0,
                      chat_rate=2.0, chat_burst=6)
    try:
        await cluster.start()
        reference_user = emulator.user(FIRST_CHAT - 1)
        counts = await one_post_at_a_time(emulator, database, reference_user, groups(0))
        # Up to the receipt; the worker's notices about the application come when they come.
        reference = [seen_text(m) for m in reference_user.sent()[:counts[-1]]]
        assert "YM…" in reference[-1], reference[-1]

        users = [emulator.user(FIRST_CHAT + i) for i in range(RESIDENTS)]
        residents = [asyncio.create_task(in_groups(emulator, u, groups(i + 1), counts)) for i, u in enumerate(users)]
        # Halfway (by replies received), the first bot dies and comes back on its port and identity.
        victim = cluster.bots[0]
        while sum(len(emulator.sent(u.id)) for u in users) < RESIDENTS * counts[-1] // 2:
            assert not all(r.done() for r in residents), "the residents finished before the kill"
            await asyncio.sleep(0.05)
        victim.kill()
        killed_at = time.monotonic()
        assert victim.process is not None
        await victim.process.wait()
        await victim.start()
        restarted_in = time.monotonic() - killed_at
        outcomes = await asyncio.gather(*residents, return_exceptions=True)
        stuck = [(u.id, repr(o)) for u, o in zip(users, outcomes, strict=True) if isinstance(o, BaseException)]
        assert not stuck, f"{len(stuck)} residents did not finish, e.g. {stuck[:3]}\n{cluster.logs()}"
        await asyncio.sleep(1.5)  # anything sent late (a reply twice) would land now
        statuses = await cluster.stop()
    except BaseException:
        print(cluster.logs())
        raise
    finally:
        await cluster.stop()
        await emulator.stop()

    arrived: dict[tuple[int, int], float] = {}
    for call in emulator.calls("sendMessage"):
        result = (call.response or {}).get("result") if call.ok else None
        if isinstance(result, dict):
            arrived[(result["chat"]["id"], result["message_id"])] = call.time
    twice: list[float] = []
    lost_edits = 0
    for user in users:
        kept, dropped = duplicates_across_the_kill(user.sent(), arrived, killed_at)
        twice += dropped
        seen = [seen_text(m) for m in kept[:len(reference)]]
        # The replies, in order; a pressed question's "✓ choice" edit may be lost with the killed
        # process (it is cosmetic, and counted apart).
        assert [s.split("\n\n✓")[0] for s in seen] == [r.split("\n\n✓")[0] for r in reference], \
            f"resident {user.id} saw another conversation:\n" + conversation(emulator, user, killed_at)
        lost_edits += sum(a != b for a, b in zip(seen, reference, strict=True))
        # After the receipt, only the worker's notices about the application, each once.
        notices = [seen_text(m) for m in kept[len(reference):]]
        assert all("YM…" in n for n in notices) and len(set(notices)) == len(notices), notices
    async with database.engine.connect() as connection:
        residents_applied = (await connection.scalars(select(ApplicationRow.resident_id))).all()
    # One application each, the reference resident's too.
    assert len(residents_applied) == len(set(residents_applied)) == RESIDENTS + 1
    assert not emulator.flood_violations, emulator.flood_violations[:5]
    assert max(twice, default=0.0) <= MARKED_WITHIN, \
        f"replies sent again that the killed process sent {sorted(twice)[-3:]} s before the kill"
    assert lost_edits <= 10, f"{lost_edits} pressed questions never showed the choice"
    assert all(status == 0 for status in statuses.values()), statuses
    assert cluster.proxy.forwarded[cluster.bots[1].url] > 0 and cluster.proxy.forwarded[victim.url] > 0
    print(f"\n{RESIDENTS} residents x {sum(map(len, GROUPS))} posts in {time.monotonic() - started:.0f} s; "
          f"bot restarted in {restarted_in:.1f} s; {len(twice)} replies twice across the kill (the first "
          f"copies at most {max(twice, default=0.0):.2f} s before it), {lost_edits} "
          f"choice edits lost; proxy: "
          f"{cluster.proxy.forwarded}, {cluster.proxy.refused} refused, {cluster.proxy.broken} broken")
