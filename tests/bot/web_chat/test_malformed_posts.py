"""A broken or boundless multipart post to the web chat is refused with the chat's 403 page, never a 500."""

from __future__ import annotations

import pytest

from bot.web_chat.identity import COOKIE

BROKEN = [
    ("no boundary", "multipart/form-data",
     b"--x\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhi\r\n--x--\r\n"),
    ("empty boundary", "multipart/form-data; boundary=", b"----\r\n"),
    ("body without its boundary", "multipart/form-data; boundary=abc", b"no parts at all"),
    ("part without headers' end", "multipart/form-data; boundary=abc",
     b"--abc\r\nContent-Disposition: form-data; name=\"text\""),
    ("a boundary too long", "multipart/form-data; boundary=" + "b" * 100, b"--" + b"b" * 100 + b"\r\n\r\n"),
    ("urlencoded that is not UTF-8", "application/x-www-form-urlencoded", b"text=\xff\xfe&csrf=\xff"),
    ("a part header that is no header", "multipart/form-data; boundary=zz", b"--zz\r\n\xff\xff\r\n--zz--"),
    ("a form token beyond ASCII", "application/x-www-form-urlencoded", b"csrf=%C2%A4&seq=2&text=x"),
]


@pytest.mark.parametrize(("content_type", "body"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
async def test_a_malformed_form_is_refused_not_a_500(browser, client, content_type, body):
    web = browser(language="en")
    await web.open()
    response = await client.post("/chat/messages", data=body, allow_redirects=False,
                                 headers={"Cookie": f"{COOKIE}={web.cookie}", "Content-Type": content_type})
    assert response.status == 403, await response.text()
    assert response.content_type == "text/html"
    assert response.headers["Cache-Control"] == "no-store"


async def test_a_cookie_beyond_ascii_is_no_identity(client):
    response = await client.get("/chat", headers={"Cookie": f"{COOKIE}=aaaaaaaaaaaaaaaaaaaaaaaa.\u00a4"})
    assert response.status == 200
    assert COOKIE in response.cookies  # a new identity, as for any cookie that does not verify
