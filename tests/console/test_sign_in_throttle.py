"""Guessing console passwords: concurrent guesses cannot pass the limit, unknown names are
throttled and answered like real ones, a stranger cannot keep a caseworker out from elsewhere,
one address cannot spray many names, and every refusal is in the audit log."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from backend.console.signin import MAX_FAILURES, PER_ADDRESS, PER_NAME
from tests.cases.helpers import NOW
from tests.console.conftest import PASSWORD, console_application, csrf_in

STRANGER = "203.0.113.5"
CASEWORKER = "198.51.100.7"


class _Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now


async def _client(config, database, aiohttp_client_for, clock=None):
    # Behind a proxy on loopback, so that tests can say which address a guess comes from.
    config = dataclasses.replace(config, trusted_proxies="127.0.0.1, ::1")
    return await aiohttp_client_for(console_application(config, database, clock=clock or (lambda: NOW)))


async def _guess(client, username: str, password: str = "wrong guess", *, address: str = STRANGER):
    headers = {"X-Forwarded-For": address}
    client.session.cookie_jar.update_cookies({"yimen_console_lang": "en"})
    page = await client.get("/console/sign-in", headers=headers)
    return await client.post("/console/sign-in", headers=headers, allow_redirects=False, data={
        "csrf": csrf_in(await page.text()), "username": username, "password": password, "next": "/console/queue"})


async def _audit(database):
    async with database.unit_of_work() as uow:
        return await uow.audit.for_target("console")


async def test_concurrent_guesses_check_no_more_than_the_limit(config, database, staff, aiohttp_client_for):
    client = await _client(config, database, aiohttp_client_for)
    client.session.cookie_jar.update_cookies({"yimen_console_lang": "en"})
    page = await client.get("/console/sign-in", headers={"X-Forwarded-For": STRANGER})
    csrf = csrf_in(await page.text())

    async def post(password: str):
        fields = {"csrf": csrf, "username": "wang", "password": password, "next": "/console/queue"}
        return await client.post("/console/sign-in", headers={"X-Forwarded-For": STRANGER}, allow_redirects=False,
                                 data=fields)

    wrong = [asyncio.create_task(post(f"wrong guess {n}")) for n in range(29)]
    right = asyncio.create_task(post(PASSWORD))
    statuses = [r.status for r in await asyncio.gather(*wrong, right)]
    checked = [e for e in await _audit(database) if e.action == "console.sign_in_failed"]
    assert len(checked) <= MAX_FAILURES
    # Answers from a checked password: 401, the right one's 303, or 429 for the guess that set off the block.
    assert statuses.count(401) + statuses.count(303) <= MAX_FAILURES
    # However the guesses interleaved, the name is blocked from this address afterwards.
    assert (await _guess(client, "wang", PASSWORD)).status == 429


async def test_an_unknown_name_is_throttled_and_answered_like_a_real_one(config, database, staff, aiohttp_client_for):
    client = await _client(config, database, aiohttp_client_for)
    answers = {}
    for name in ("wang", "nobody"):
        statuses = [(await _guess(client, name)).status for _ in range(MAX_FAILURES - 1)]
        last = await _guess(client, name)
        again = await _guess(client, name)
        answers[name] = (statuses, last.status, await last.text(), again.status, await again.text())
    assert answers["wang"][0] == answers["nobody"][0] == [401] * (MAX_FAILURES - 1)
    assert answers["wang"][1] == answers["nobody"][1] == answers["wang"][3] == answers["nobody"][3] == 429
    assert _without_form(answers["wang"][2]) == _without_form(answers["nobody"][2])
    assert _without_form(answers["wang"][4]) == _without_form(answers["nobody"][4])


def _without_form(html: str) -> str:
    """The page less what differs by request anyway: the form token and the name typed back."""
    import re

    html = re.sub(r'name="csrf" value="[^"]+"', "", html)
    return re.sub(r'name="username"[^>]*>', "", html)


async def test_a_stranger_cannot_keep_a_caseworker_out_from_another_address(config, database, staff,
                                                                           aiohttp_client_for):
    client = await _client(config, database, aiohttp_client_for)
    for _ in range(MAX_FAILURES + 3):
        await _guess(client, "wang", address=STRANGER)
    assert (await _guess(client, "wang", PASSWORD, address=STRANGER)).status == 429
    signed_in = await _guess(client, "wang", PASSWORD, address=CASEWORKER)
    assert signed_in.status == 303 and "yimen_console" in signed_in.cookies


async def test_the_block_grows_and_a_success_does_not_lift_it(config, database, staff, aiohttp_client_for):
    clock = _Clock()
    client = await _client(config, database, aiohttp_client_for, clock)
    for _ in range(MAX_FAILURES):
        await _guess(client, "wang")
    clock.now += PER_NAME.first_block + timedelta(seconds=1)
    for _ in range(MAX_FAILURES):
        await _guess(client, "wang")
    # The second block lasts twice the first.
    clock.now += PER_NAME.first_block + timedelta(seconds=1)
    assert (await _guess(client, "wang", PASSWORD)).status == 429
    clock.now += PER_NAME.first_block
    assert (await _guess(client, "wang", PASSWORD)).status == 303


async def test_one_address_cannot_spray_many_names(config, database, staff, aiohttp_client_for):
    client = await _client(config, database, aiohttp_client_for)
    for n in range(PER_ADDRESS.max_failures):
        assert (await _guess(client, f"name{n}")).status in (401, 429)
    refused = await _guess(client, "wang", PASSWORD)
    assert refused.status == 429 and "yimen_console" not in refused.cookies
    assert (await _guess(client, "wang", PASSWORD, address=CASEWORKER)).status == 303
    assert any(e.action == "console.sign_in_address_limited" for e in await _audit(database))


async def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(config, database, staff,
                                                                           aiohttp_client_for):
    client = await aiohttp_client_for(console_application(config, database))  # no trusted proxy
    for n in range(MAX_FAILURES):
        await _guess(client, "wang", address=f"192.0.2.{n}")  # a new made-up address each time
    assert (await _guess(client, "wang", PASSWORD, address="192.0.2.200")).status == 429


async def test_every_refusal_is_audited_without_the_password(config, database, staff, aiohttp_client_for):
    client = await _client(config, database, aiohttp_client_for)
    for _ in range(MAX_FAILURES + 1):
        await _guess(client, "Wang", "secret guess")
    entries = await _audit(database)
    actions = [e.action for e in entries]
    assert actions.count("console.sign_in_failed") == MAX_FAILURES and actions[-1] == "console.sign_in_locked"
    assert all(e.actor == "Wang" and e.details["address"] == STRANGER for e in entries)
    assert "secret guess" not in repr(entries)
    # The name is matched without regard to case: "wang" is blocked too.
    assert (await _guess(client, "wang", PASSWORD)).status == 429


async def test_a_locked_refusal_takes_as_long_as_a_checked_password(config, database, staff, aiohttp_client_for):
    """A refusal without a hash would answer in a few milliseconds against a hash's tens."""
    import time

    client = await _client(config, database, aiohttp_client_for)

    async def timed(name: str, address: str) -> float:
        client.session.cookie_jar.update_cookies({"yimen_console_lang": "en"})
        page = await client.get("/console/sign-in", headers={"X-Forwarded-For": address})
        fields = {"csrf": csrf_in(await page.text()), "username": name, "password": "wrong guess"}
        started = time.perf_counter()
        response = await client.post("/console/sign-in", headers={"X-Forwarded-For": address}, data=fields)
        elapsed = time.perf_counter() - started
        return elapsed if response.status in (401, 429) else 0.0

    for _ in range(MAX_FAILURES):
        await timed("wang", STRANGER)
    locked = min([await timed("wang", STRANGER) for _ in range(3)])
    checked = min([await timed(f"nobody{n}", CASEWORKER) for n in range(3)])
    assert locked > checked / 3, (locked, checked)
