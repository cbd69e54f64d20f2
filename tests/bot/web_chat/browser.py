"""A browser without JavaScript over aiohttp's test client: its own cookie, forms posted as a
page would post them, redirects followed, and the page read back into messages and buttons."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie

import aiohttp
from aiohttp.test_utils import TestClient

from bot.web_chat.identity import COOKIE


@dataclass
class Message:
    id: int
    key: str
    mine: bool
    new: bool
    text: str = ""
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (value, label)


@dataclass
class Page:
    status: int
    html: str
    lang: str = ""
    csrf: str = ""
    seq: str = ""
    q: str | None = None  # the live question's token the page's forms carry
    messages: list[Message] = field(default_factory=list)
    code: str = ""
    notice: str = ""
    set_cookie: str | None = None
    # The panel of open offers: what each says, and its buttons (value, label).
    offers: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)

    @property
    def new(self) -> list[Message]:
        return [m for m in self.messages if m.new]

    @property
    def keys(self) -> list[str]:
        return [m.key for m in self.new]

    def text(self) -> str:
        return "\n".join("\n".join([m.text, *(label for _, label in m.buttons)]) for m in self.messages)

    def button(self, label: str) -> str:
        for message in reversed(self.messages):
            for value, shown in message.buttons:
                if shown == label or shown == f"✓ {label}":
                    return value
        raise AssertionError(f"no button {label!r} in {[m.buttons for m in self.messages]}")

    def live_buttons(self) -> list[tuple[str, str]]:
        """The buttons of the newest message that has any."""
        for message in reversed(self.messages):
            if message.buttons:
                return message.buttons
        return []


class _Reader(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.into: str | None = None
        self.button: str | None = None
        self.offer_button: str | None = None
        self.label = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        page = self.page
        classes = a.get("class", "").split()
        if tag == "html":
            page.lang = a.get("lang", "")
        elif tag == "input" and a.get("name") == "csrf" and not page.csrf:
            page.csrf = a.get("value", "")
        elif tag == "input" and a.get("name") == "seq" and not page.seq:
            page.seq = a.get("value", "")
        elif tag == "input" and a.get("name") == "q" and page.q is None:
            page.q = a.get("value", "")
        elif tag == "li" and "msg" in classes:
            page.messages.append(Message(0, a.get("data-key", ""), "me" in classes, "new" in classes))
        elif tag == "div" and "text" in classes and page.messages:
            page.messages[-1].id = int(a.get("id", "m0")[1:])
            self.into = "text"
        elif tag == "p" and "code" in classes:
            self.into = "code"
        elif tag == "p" and "notice" in classes:
            self.into = "notice"
        elif tag == "button" and a.get("name") == "button":
            self.button, self.label = a.get("value", ""), ""
        elif tag == "p" and a.get("id", "").startswith("o"):
            page.offers.append(("", []))
            self.into = "offer"
        elif tag == "button" and a.get("name") == "offer":
            self.offer_button, self.label = a.get("value", ""), ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("div", "p"):
            self.into = None
        if tag == "button" and self.button is not None:
            self.page.messages[-1].buttons.append((self.button, self.label.strip()))
            self.button = None
        if tag == "button" and self.offer_button is not None:
            self.page.offers[-1][1].append((self.offer_button, self.label.strip()))
            self.offer_button = None

    def handle_data(self, data: str) -> None:
        if self.button is not None or self.offer_button is not None:
            self.label += data
        elif self.into == "offer":
            text, buttons = self.page.offers[-1]
            self.page.offers[-1] = (text + data, buttons)
        elif self.into == "text":
            self.page.messages[-1].text += data
        elif self.into == "code":
            self.page.code += data.strip()
        elif self.into == "notice":
            self.page.notice += data.strip()


def read_page(status: int, html: str, set_cookie: str | None = None) -> Page:
    page = Page(status, html, set_cookie=set_cookie)
    _Reader(page).feed(html)
    return page


class Browser:
    """One browser (one cookie) on the test server."""

    def __init__(self, client: TestClient, *, language: str = "zh-CN", cookie: str | None = None,
                 forwarded_proto: str | None = None) -> None:
        self.client = client
        self.language = language
        self.cookie = cookie
        self.forwarded_proto = forwarded_proto
        self.page: Page | None = None

    def _headers(self) -> dict[str, str]:
        headers = {"Accept-Language": self.language}
        if self.cookie is not None:
            headers["Cookie"] = f"{COOKIE}={self.cookie}"
        if self.forwarded_proto:
            headers["X-Forwarded-Proto"] = self.forwarded_proto
        return headers

    def _keep_cookie(self, response: aiohttp.ClientResponse) -> str | None:
        raw = response.headers.get("Set-Cookie")
        if raw:
            jar = SimpleCookie()
            jar.load(raw)
            if COOKIE in jar:
                self.cookie = jar[COOKIE].value or None
        return raw

    async def open(self, query: str = "") -> Page:
        response = await self.client.get(f"/chat{query}", headers=self._headers(), allow_redirects=False)
        raw = self._keep_cookie(response)
        self.page = read_page(response.status, await response.text(), raw)
        return self.page

    async def submit(self, path: str = "/chat/messages", *, token: str | None = None, seq: str | None = None,
                     q: str | None = None, files: dict[str, tuple[str, bytes, str]] | None = None,
                     **fields: str) -> Page:
        """Post a form of the current page and follow the redirect back, as a browser does."""
        page = self.page or await self.open()
        data = aiohttp.FormData()
        # The page's forms put the token first, the file last.
        data.add_field("csrf", page.csrf if token is None else token)
        data.add_field("seq", page.seq if seq is None else seq)
        if (q if q is not None else page.q) is not None:
            data.add_field("q", page.q if q is None else q)
        for name, value in fields.items():
            data.add_field(name, value)
        for name, (filename, content, mime) in (files or {}).items():
            data.add_field(name, content, filename=filename, content_type=mime)
        response = await self.client.post(path, data=data, headers=self._headers(), allow_redirects=False)
        self._keep_cookie(response)
        if response.status != 303:
            self.page = read_page(response.status, await response.text())
            return self.page
        location = response.headers["Location"]
        assert location.startswith("/chat") and location.endswith("#latest"), location
        return await self.open(location.removeprefix("/chat").removesuffix("#latest"))

    async def start(self) -> Page:
        return await self.submit(start="1")

    async def send(self, text: str) -> Page:
        return await self.submit(text=text)

    async def press(self, label: str) -> Page:
        assert self.page is not None
        return await self.submit(button=self.page.button(label))

    async def press_value(self, value: str) -> Page:
        return await self.submit(button=value)

    async def upload(self, filename: str, content: bytes, mime: str = "application/octet-stream") -> Page:
        return await self.submit(files={"file": (filename, content, mime)})

    async def link_code(self) -> str:
        page = await self.submit("/chat/link")
        assert page.status == 200 and page.code, page.html
        return page.code

    @property
    def web_id(self) -> str:
        assert self.cookie
        return self.cookie.partition(".")[0]
