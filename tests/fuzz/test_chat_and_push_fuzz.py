"""Hypothesis over the web chat's form posts and the departments' signed pushes, over real HTTP.

The web chat is posted to as a browser would and as a forged or broken one would: typed text and
commands (link codes among them), pressed buttons, uploads, multipart bodies cut short or made
up, forms that are not UTF-8, bad cookies and tokens. The pushes are signed with the department's
real key, so that every body reaches the parser and the importer behind the signature check:
arbitrary JSON, rows with values of any type, nesting thousands deep, bytes that are not UTF-8,
numbers of 100,000 digits and ones beyond a double ("1e400").

Neither may answer with a 5xx, and neither may log a traceback. Each test lists every distinct
failure (what was sent, the status, and the innermost frame of the logged traceback).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
import requests
from aiohttp.test_utils import TestServer
from hypothesis import example, given
from hypothesis import strategies as st

from backend.config import Config
from backend.db.database import Database
from backend.monitoring.push import SIGNATURE_HEADER, TIMESTAMP_HEADER, rotate_key, sign
from backend.web import init_app
from bot.app import build_conversations
from bot.web_chat.identity import COOKIE
from bot.web_chat.routes import WebChat
from locales import Translations
from tests.cases.helpers import NOW
from tests.fuzz.conftest import FEED_KEY, SECRET, Tracebacks, bounded, last_frame

CHAT_EXAMPLES = 300
PUSH_EXAMPLES = 300


@dataclass(frozen=True)
class Sent:
    """A request as the fuzzer sent it, short enough to read in a failure report."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def __str__(self) -> str:
        body = self.body if len(self.body) <= 160 else self.body[:120] + b"...(%d bytes)" % len(self.body)
        headers = " ".join(f"-H '{k}: {v[:60]}'" for k, v in self.headers.items())
        return f"curl -X {self.method} {headers} --data-binary {body!r} {self.path}"


@dataclass
class Findings:
    """Distinct failures by cause: the frame of the logged traceback, or the status."""

    found: dict[str, tuple[int, Sent, str | None]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)

    def add(self, status: int, sent: Sent, logged: list[logging.LogRecord]) -> None:
        self.statuses[status] += 1
        frame = last_frame(logged[-1]) if logged else None
        if status < 500 and frame is None:
            return
        key = f"{sent.path.split('?')[0]} {status} {': '.join(frame.split(': ')[:2]) if frame else ''}"
        known = self.found.get(key)
        if known is None or len(sent.body) < len(known[1].body):
            self.found[key] = (status, sent, frame)

    def post(self, client, url: str, path: str, headers: dict[str, str], body: bytes, tracebacks: Tracebacks, *,
             shown: dict[str, str], **options) -> None:
        """POST ``body`` with ``client`` (requests or a session of it) and record the answer; a report
        shows the headers as ``shown`` (no secrets)."""
        tracebacks.take()
        response = client.post(f"{url}{path}", data=body, headers=headers, timeout=60, **options)
        self.add(response.status_code, Sent("POST", path, shown, body), tracebacks.take())

    def report(self) -> str:
        return "\n".join(f"- {sent.method} {sent.path} -> {status}\n      {sent}"
                         + (f"\n      last frame: {frame}" if frame else "")
                         for status, sent, frame in self.found.values())

    def assert_none(self, caplog: pytest.LogCaptureFixture) -> None:
        """No distinct failure was found, and nothing logged a traceback."""
        if self.found:
            pytest.fail(f"{len(self.found)} distinct failures (statuses seen: {dict(self.statuses)}):\n"
                        f"{self.report()}", pytrace=False)
        assert_no_traceback_logged(caplog)


def assert_no_traceback_logged(caplog: pytest.LogCaptureFixture) -> None:
    logged = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not logged, "tracebacks logged:\n" + "\n".join(f"- {r.getMessage()[:200]}" for r in logged)


@pytest.fixture
def chat_config(tmp_path, database_url: str) -> Config:
    return Config(database_url=database_url, locale="zh_CN", data_dir=tmp_path / "data", secret_key=SECRET)


@pytest.fixture
async def served_chat(chat_config: Config, database: Database) -> AsyncIterator[str]:
    """The application with the web chat mounted as ``yimen serve`` mounts it, on a loopback port."""
    app = init_app(chat_config, database=database, clock=lambda: NOW)
    conversations = build_conversations(chat_config, database, clock=lambda: NOW, translations=Translations(),
                                        html_translations=Translations(html=True))
    WebChat(conversations, secret=chat_config.secret_key).add_routes(app)
    await rotate_key(database, "medical", secret_key=SECRET, now=NOW, new_key=lambda: FEED_KEY)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


# ---------------------------------------------------------------------------------------- web chat

_texts = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["/start", "/help", "/back", "/cancel", "/status", "/human", "/language", "/link",
                     "/offers off", "/points", "/code 5", "/pause", "1", "2", "张三", "/start volunteer"]),
    st.builds(lambda code: f"/link {code}", st.one_of(st.integers(min_value=0, max_value=10**40).map(str),
                                                      st.text(max_size=20))),
    st.integers().map(str),
    st.sampled_from(["1e400", "9" * 5000, "-0", "NaN", "2099-02-30", "１２３", "\u0000", "\ud800".encode(
        "utf-8", "surrogatepass").decode("utf-8", "replace")]),
)
_buttons = st.one_of(
    st.builds(lambda a, b: f"{a}:{b}", st.integers(min_value=0, max_value=10**20),
              st.integers(min_value=0, max_value=10**4)),
    st.text(max_size=40),
)
_seqs = st.one_of(st.integers(min_value=-1, max_value=10**30).map(str), st.text(max_size=20))


@st.composite
def chat_posts(draw: st.DrawFn, csrf: str) -> tuple[str, dict[str, str], bytes]:
    """(path, headers, body) of one post to the web chat; most carry the browser's real form token."""
    token = draw(st.one_of(st.text(max_size=80), st.just(""))) if draw(st.integers(0, 4)) == 0 else csrf
    path = draw(st.sampled_from(["/chat/messages"] * 6 + ["/chat/link", "/chat/forget"]))
    kind = draw(st.sampled_from(["form", "form", "multipart", "broken_multipart", "raw"]))
    fields = {"csrf": token, "seq": draw(_seqs)}
    choice = draw(st.sampled_from(["text", "button", "start", "nothing"]))
    if choice == "text":
        fields["text"] = draw(_texts)
    elif choice == "button":
        fields["button"] = draw(_buttons)
    elif choice == "start":
        fields["start"] = draw(st.sampled_from(["1", "", "yes"]))
    if kind == "form":
        encoded = "&".join(f"{requests.utils.quote(k)}={requests.utils.quote(v, safe='')}" for k, v in fields.items())
        return path, {"Content-Type": "application/x-www-form-urlencoded"}, encoded.encode()
    boundary = draw(st.sampled_from(["b0undary", "x" * 70, "-"]))
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode()
             + v.encode("utf-8", "surrogatepass") + b"\r\n" for k, v in fields.items()]
    if draw(st.booleans()):
        filename = draw(st.one_of(st.text(max_size=60), st.sampled_from(["a.pdf", "../../etc/passwd", "C:\\x.jpg",
                                                                          ""])))
        mime = draw(st.sampled_from(["application/pdf", "image/jpeg", "text/html", "", "application/octet-stream"]))
        data = draw(st.binary(max_size=2048))
        quoted = filename.replace('"', "%22").replace("\r", "").replace("\n", "")
        header = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
        if mime:
            header += f"Content-Type: {mime}\r\n"
        parts.append(header.encode("utf-8", "surrogatepass") + b"\r\n" + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    content_type = f"multipart/form-data; boundary={boundary}"
    if kind == "broken_multipart":
        body = draw(st.one_of(
            st.just(body[: draw(st.integers(min_value=0, max_value=len(body)))]),  # cut short
            st.binary(max_size=300),  # not multipart at all
            st.just(body.replace(b"\r\n", b"\n")),  # bare newlines
            st.just(body.replace(b'name="', b'nam="')),  # unnamed parts
        ))
        content_type = draw(st.sampled_from([content_type, "multipart/form-data", "multipart/form-data; boundary=",
                                             "multipart/mixed; boundary=b0undary"]))
    elif kind == "raw":
        body = draw(st.binary(max_size=300))
        content_type = draw(st.sampled_from(["application/x-www-form-urlencoded", "text/plain", "application/json",
                                             "application/x-www-form-urlencoded; charset=latin-1"]))
    return path, {"Content-Type": content_type}, body


def fuzz_chat(base_url: str, tracebacks: Tracebacks) -> Findings:
    findings = Findings()
    with requests.Session() as browser:
        page = browser.get(f"{base_url}/chat", timeout=30)
        assert page.status_code == 200
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        cookie = browser.cookies.get(COOKIE)
        assert cookie

        @bounded(CHAT_EXAMPLES)
        @given(post=chat_posts(csrf), cookie_kind=st.sampled_from(["own"] * 8 + ["none", "forged"]))
        def run(post: tuple[str, dict[str, str], bytes], cookie_kind: str) -> None:
            path, headers, body = post
            cookies = {"own": {COOKIE: cookie}, "none": {}, "forged": {COOKIE: cookie[:-4] + "AAAA"}}[cookie_kind]
            findings.post(requests, base_url, path, headers, body, tracebacks, cookies=cookies, allow_redirects=False,
                          shown={**headers, **({"Cookie": f"{COOKIE}=…"} if cookies else {})})

        run()
    return findings


# ------------------------------------------------------------------------------------- feed pushes

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40))
_json = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                     max_leaves=20)
_fields = st.sampled_from(["record_id", "id_number", "kind", "occurred_on", "amount", "grade", "other"])
_values = st.one_of(
    _scalars,
    st.sampled_from(["110101199003074514", "11010119900307451X", "110101199002304514", "out_of_pocket", "death",
                     "disability_assessed", "unemployed", "disaster_loss", "2026-11-20", "2099-12-31", "0001-01-01",
                     "2026-02-30", "12000", "-1", "1e400", "1" * 400, "NaN", "Infinity", "0.000001", True, False]),
)
_rows = st.lists(st.one_of(st.dictionaries(_fields, _values, max_size=7), _json), max_size=8)


def _deep(depth: int, opener: str) -> bytes:
    """Arrays or objects nested ``depth`` deep."""
    if opener == "[":
        return ("[" * depth + "]" * depth).encode()
    return ('{"a":' * depth + "1" + "}" * depth).encode()


_raw_bodies = st.one_of(
    _rows.map(lambda rows: json.dumps(rows, ensure_ascii=False).encode()),
    _json.map(lambda value: json.dumps(value).encode()),
    st.builds(_deep, st.sampled_from([10, 900, 5000, 100_000]), st.sampled_from(["[", "{"])),
    st.binary(max_size=200),  # invalid UTF-8 and not JSON
    # A list of rows with bytes spliced in before its end.
    st.builds(lambda rows, junk: json.dumps(rows).encode()[:-1] + junk + b"]", _rows,
              st.binary(min_size=1, max_size=8)),
    st.sampled_from(ALWAYS := [
        b"[" + b"1" * 100_000 + b"]",
        b'[{"record_id": "M-1", "amount": ' + b"9" * 5000 + b"}]",
        b'[{"record_id": "M-1", "amount": 1e400}]',
        b"[1e400]",
        b"[-1e400, 1e-400]",
        b'[{"record_id": "\xff\xfe"}]',
        b'[{"record_id": "\\ud800"}]',
        b"\xef\xbb\xbf[]",
        b"",
        b"null",
        b"[NaN, Infinity]",
    ]),
)


def fuzz_push(base_url: str, tracebacks: Tracebacks) -> Findings:
    findings = Findings()
    with requests.Session() as session:

        @bounded(PUSH_EXAMPLES)
        # Signed at any second within the five minutes of tolerance, so that the same body drawn
        # twice is mostly a new push rather than a replay.
        @given(body=_raw_bodies, source=st.sampled_from(["medical", "medical", "medical", "hr"]),
               age=st.integers(min_value=0, max_value=299))
        def run(body: bytes, source: str, age: int) -> None:
            timestamp = str(int(NOW.timestamp()) - age)
            path = f"/api/v1/feeds/{source}/events"
            headers = {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(FEED_KEY, timestamp, body),
                       "Content-Type": "application/json"}
            findings.post(session, base_url, path, headers, body, tracebacks,
                          shown={**headers, SIGNATURE_HEADER: "<valid>"})

        for body in ALWAYS:  # each of these is sent on every run, besides what is drawn
            run = example(body=body, source="medical", age=0)(run)
        run()
    return findings


# Each fuzzer reaches past its gate often enough to have tested what lies behind it (``taken``), and
# is refused there too: the chat's posts got past the cookie and the form token into conversation
# turns (303) and were refused (403); the pushes' signatures were good, so they reached the importer
# (202), and its parser refused some (422).
@pytest.mark.parametrize(("fuzz", "examples", "taken", "refused"), [
    pytest.param(fuzz_chat, CHAT_EXAMPLES, 303, 403, id="web chat posts"),
    pytest.param(fuzz_push, PUSH_EXAMPLES, 202, 422, id="signed pushes"),
])
async def test_posts_never_fail_on_the_server(
    served_chat: str, tracebacks: Tracebacks, caplog: pytest.LogCaptureFixture,
    fuzz: Callable[[str, Tracebacks], Findings], examples: int, taken: int, refused: int,
) -> None:
    caplog.set_level(logging.WARNING)
    findings = await asyncio.to_thread(fuzz, served_chat, tracebacks)
    assert findings.statuses[taken] > examples / 10 and findings.statuses[refused] > 0, findings.statuses
    findings.assert_none(caplog)
