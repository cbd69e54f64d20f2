"""`yimen serve` as a real process, probed from outside as an attacker and a careless client would.

Every probe goes over real HTTP (or a raw socket, for what no HTTP client will send). None may get a
5xx, the API's refusals are JSON naming what was wrong, and the server's log holds no traceback.
The finer rules behind each probe (lock-out order, link code odds, upload types ...) are tested
where they are implemented; here the whole process answers them together.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import statistics
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import unused_port

from backend.cases.ports import Role
from backend.monitoring.push import SIGNATURE_HEADER, TIMESTAMP_HEADER, rotate_key, sign
from backend.staff.accounts import set_password
from tests.cases.helpers import NOW, add_staff, payload

SECRET = "probe-secret"
PASSWORD = "correct horse battery"
HUGE = "9" * 20  # beyond BIGINT
ID_NUMBER = "110105198001010016"


@dataclass
class Served:
    url: str
    process: asyncio.subprocess.Process
    log: list[str] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    feed_key: str = ""

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


async def _collect(stream: asyncio.StreamReader, into: list[str]) -> None:
    while line := await stream.readline():
        into.append(line.decode("utf-8", "replace"))


@pytest.fixture
async def served(database, database_url, tmp_path) -> AsyncIterator[Served]:
    tokens = {}
    for name, role, office in (("wang", Role.CASEWORKER, "hubin"), ("root", Role.ADMIN, None),
                               ("bot", Role.BOT_SERVICE, None)):
        tokens[name] = (await add_staff(database, name, role, office)).token
        async with database.unit_of_work() as uow:
            await set_password(uow, name, PASSWORD)
            await uow.commit()
    feed_key = await rotate_key(database, "medical", secret_key=SECRET.encode(), now=NOW)
    port = unused_port()
    env = {**os.environ, "YIMEN_DATABASE_URL": database_url, "YIMEN_DATA_DIR": str(tmp_path / "data"),
           "YIMEN_SECRET_KEY": SECRET, "YIMEN_HTTP_PORT": str(port), "YIMEN_HTTP_HOST": "127.0.0.1"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "serve", env=env,
                                                   stderr=asyncio.subprocess.PIPE)
    assert process.stderr is not None
    log: list[str] = []
    while not any("listening" in line for line in log):
        line = await asyncio.wait_for(process.stderr.readline(), timeout=60)
        assert line, "yimen serve exited before it listened:\n" + "".join(log)
        log.append(line.decode("utf-8", "replace"))
    collector = asyncio.get_running_loop().create_task(_collect(process.stderr, log))
    served = Served(f"http://127.0.0.1:{port}", process, log, tokens, feed_key)
    try:
        yield served
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
        await asyncio.wait_for(collector, timeout=10)


def _browser(cookies: dict[str, str] | None = None) -> aiohttp.ClientSession:
    """A client that keeps cookies of a site on an IP address, as a browser does."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), cookies=cookies)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _application(**changes: Any) -> dict[str, Any]:
    application = payload(1)
    for path, value in changes.items():
        target = application
        *parents, leaf = path.split(".")
        for name in parents:
            target = target[name]
        target[leaf] = value
    return {"resident": {"channel": "telegram", "external_id": "tg-probe"}, "application": application}


async def _json_4xx(response: aiohttp.ClientResponse, *, naming: str | None = None) -> dict[str, Any]:
    """The response is a client error in the API's JSON shape, naming ``naming`` if given."""
    text = await response.text(errors="replace")
    assert 400 <= response.status < 500, f"{response.method} {response.url}: {response.status} {text[:300]}"
    assert response.content_type == "application/json", f"{response.url}: {response.content_type} {text[:200]}"
    body = json.loads(text)
    assert body.get("error") and body.get("message"), body
    if naming:
        named = [f.get("field", "") for f in body.get("fields", [])] + [body["message"]]
        assert any(naming in n for n in named), f"{naming!r} is not named in {body}"
    return body


async def _raw(port: int, request: bytes) -> tuple[int, bytes]:
    """What the server answers to bytes no HTTP client would send: (status, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(65536), timeout=10)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


async def _sign_in(http: aiohttp.ClientSession, url: str, username: str, password: str) -> aiohttp.ClientResponse:
    page = await http.get(f"{url}/console/sign-in")
    csrf = _csrf(await page.text())
    return await http.post(f"{url}/console/sign-in", allow_redirects=False,
                           data={"csrf": csrf, "username": username, "password": password, "next": "/console/queue"})


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrf" value="[^"]+"', "", html)


def _tracebacks(log: list[str]) -> list[str]:
    return [line for line in log if "Traceback" in line or "Error:" in line and "yimen:" not in line]


async def test_every_probe_gets_a_client_error_and_the_log_stays_clean(served: Served):
    url, bot, caseworker = served.url, _bearer(served.tokens["bot"]), _bearer(served.tokens["wang"])
    async with _browser() as http:
        # Times from clients are bounded; locales are ours; no control characters in names or text.
        for changes, field_name in (
            ({"submitted_at": "9999-12-31T23:59:59Z"}, "submitted_at"),
            ({"consent.given_at": "9999-12-31T23:59:59Z"}, "given_at"),
            ({"submitted_at": "1900-01-01T00:00:00Z"}, "submitted_at"),
            ({"locale": "xx_XX"}, "locale"),
            ({"applicant.name": "张\x00三"}, "name"),
            ({"hardship.account": "rent\x07\x1b[2J"}, "account"),
        ):
            for who in (bot, caseworker):
                response = await http.post(f"{url}/api/v1/applications", json=_application(**changes), headers=who)
                await _json_4xx(response, naming=field_name)

        # Malformed bodies.
        for body in (b"[" * 100_000 + b"]" * 100_000, b'{"resident": "\xff\xfe"}',
                     b'{"application": {"assets": {"savings": ' + b"1" * 100_000 + b"}}}"):
            response = await http.post(f"{url}/api/v1/applications", data=body, headers={
                **bot, "Content-Type": "application/json"})
            await _json_4xx(response)
        for changes, field_name in (
            ({"assets.savings": "1e400"}, "savings"),
            ({"assets.savings": "9" * 200}, "savings"),
            ({"assets.savings": 1e300}, "savings"),
            ({"members": [{**payload(1)["members"][0], "age": True}]}, "age"),
            ({"members": [{**payload(1)["members"][0], "monthly_income": "9" * 29}]}, "monthly_income"),
        ):
            response = await http.post(f"{url}/api/v1/applications", json=_application(**changes), headers=bot)
            body = await _json_4xx(response, naming=field_name)
            assert not any(f.get("field") == "application.members" for f in body.get("fields", [])), body
        household = {"members": [{"relation": "self", "age": 40, "health": "healthy", "work": "unemployed",
                                  "monthly_income": "9" * 29}],
                     "assets": {"savings": "0", "vehicles": 0, "homes": 0}, "housing": {"status": "own"}}
        await _json_4xx(await http.post(f"{url}/api/v1/assess", json={"household": household}, headers=caseworker),
                        naming="monthly_income")

        # Integers in paths and queries beyond what the database holds.
        for path in (f"/api/v1/applications?offset={HUGE}", f"/api/v1/applications?limit={HUGE}",
                     f"/api/v1/tasks/{HUGE}", f"/api/v1/volunteers/{HUGE}", f"/api/v1/alerts/{HUGE}",
                     f"/api/v1/alerts?offset={HUGE}"):
            await _json_4xx(await http.get(f"{url}{path}", headers=caseworker))

        # Feed pushes, validly signed, that are deeply nested or not UTF-8.
        for body in (b"[" * 100_000 + b"]" * 100_000, b'[{"id_number": "\xff\xfe"}]', b"[" + b"9" * 100_000 + b"]"):
            stamp = str(int(time.time()))
            response = await http.post(f"{url}/api/v1/feeds/medical/events", data=body, headers={
                "Content-Type": "application/json", TIMESTAMP_HEADER: stamp,
                SIGNATURE_HEADER: sign(served.feed_key, stamp, body)})
            await _json_4xx(response)

        # Whatever the API answers carries no personal data into a cache.
        response = await http.get(f"{url}/api/v1/applications", headers=caseworker)
        assert response.status == 200 and "no-store" in response.headers.get("Cache-Control", "")

    # The console after those probes, and its integer parameters.
    async with _browser() as console:
        assert (await _sign_in(console, url, "wang", PASSWORD)).status == 303
        assert (await console.get(f"{url}/console/queue")).status == 200
        for path in (f"/console/queue?page={HUGE}", f"/console/escalations/{HUGE}", "/console/queue?page=-1"):
            response = await console.get(f"{url}{path}")
            assert 400 <= response.status < 500 or response.status == 200, (path, response.status)

    # What the HTTP parser refuses is refused in the API's JSON shape too.
    for request in (b"GARBAGE\r\n\r\n", b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n"):
        status, body = await _raw(served.port, request)
        assert status == 400 and json.loads(body)["error"], (request, status, body)

    assert not _tracebacks(served.log), "".join(served.log)


async def test_the_sign_in_tells_nobody_who_exists_and_no_flood_of_guesses_gets_through(served: Served):
    url = served.url
    async with _browser() as http:
        wrong = await asyncio.gather(*(_sign_in(http, url, "wang", f"wrong-{n}") for n in range(29)))
        assert all(r.status < 500 for r in wrong), [r.status for r in wrong]
        right = await _sign_in(http, url, "wang", PASSWORD)
        assert right.status != 303, "the right password got through after 29 wrong ones"

    known, unknown = [], []
    for name, answers in (("root", known), ("nobody-here", unknown)):
        async with _browser() as http:
            for n in range(7):
                started = time.perf_counter()
                response = await _sign_in(http, url, name, f"wrong-{n}")
                # The form shows back the name typed, whoever it is.
                answers.append((response.status, _without_tokens(await response.text()).replace(name, "NAME"),
                                time.perf_counter() - started))
    assert [a[:2] for a in known] == [a[:2] for a in unknown]
    # Both take about as long: a lock-out that answers in milliseconds while an unknown name costs a
    # password hash would tell which names exist. Medians, so that a moment of a busy machine in one
    # attempt does not decide it.
    known_time = statistics.median(a[2] for a in known)
    unknown_time = statistics.median(a[2] for a in unknown)
    assert 0.33 < known_time / unknown_time < 3, ([a[2] for a in known], [a[2] for a in unknown])
    assert not _tracebacks(served.log), "".join(served.log)


async def test_the_web_chat_refuses_broken_posts_and_a_copied_cookie_after_sign_out(served: Served):
    url = served.url
    async with _browser() as http:
        page = await http.get(f"{url}/chat")
        csrf = _csrf(await page.text())
        cookie = {c.key: c.value for c in http.cookie_jar}
        for headers, body in (
            ({"Content-Type": "multipart/form-data"}, b"csrf=" + csrf.encode()),
            ({"Content-Type": "multipart/form-data; boundary=zz"}, b"--zz\r\nContent-Disposition: form-data\r\n\r\nx"),
            ({"Content-Type": "multipart/form-data; boundary=zz"}, b"--zz\r\n\xff\xff\r\n--zz--"),
        ):
            response = await http.post(f"{url}/chat/messages", data=body, headers=headers)
            assert 400 <= response.status < 500 or response.status in (200, 303), (body, "".join(served.log[-40:]))
        for name, content in (("photo.jpg", b"MZ\x90\x00\x03" + b"\x00" * 64), ("empty.pdf", b"")):
            form = aiohttp.FormData()
            form.add_field("csrf", csrf)
            form.add_field("seq", "0")
            form.add_field("file", content, filename=name, content_type="image/jpeg")
            response = await http.post(f"{url}/chat/messages", data=form)
            assert response.status < 500, (name, "".join(served.log[-40:]))
        await http.post(f"{url}/chat/forget", data={"csrf": csrf})

    async with _browser(cookie) as copied:
        response = await copied.get(f"{url}/chat")
        assert response.status == 200
        # The copied cookie no longer names the identity: the page starts a new one.
        assert any(c.value != cookie.get(c.key) for c in copied.cookie_jar if c.key in cookie)
    assert not _tracebacks(served.log), "".join(served.log)


@pytest.mark.parametrize("changes", [{"monthly_income": 1e30}, {"savings": 1e27}, {"age": True}])
async def test_assess_refuses_absurd_numbers_in_one_line(tmp_path, changes):
    household = {"members": [{"relation": "self", "age": 40, "health": "healthy", "work": "unemployed",
                              "monthly_income": "0"}],
                 "assets": {"savings": "0", "vehicles": 0, "homes": 0}, "housing": {"status": "own"}}
    for name, value in changes.items():
        (household["assets"] if name == "savings" else household["members"][0])[name] = value
    path = tmp_path / "household.json"
    path.write_text(json.dumps(household))
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "assess", str(path),
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2, (out, err)
    assert b"Traceback" not in err and err.strip(), err
    assert list(changes)[0].encode() in err, err
