"""``yimen monitor link``: the signed deep link of an alert's pre-filled application, as the
console's alert page shows it (a t.me link when the bot's username is known)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend.monitoring.outreach import Outreach
from bot.cli import main
from tests.monitoring.seed import PACK


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("YIMEN_SECRET_KEY", "a secret of this test")
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME", raising=False)
    for name in ("WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def _printed(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out.strip()


def test_the_command_and_the_t_me_link(env, capsys, monkeypatch) -> None:
    payload = Outreach(PACK, decrypt=str, secret=b"a secret of this test").link(42)
    assert re.fullmatch(r"apply-42-[0-9a-f]{24}", payload)
    assert _printed(capsys, "monitor", "link", "42") == f"/start {payload}"
    assert _printed(capsys, "monitor", "link", "42", "--bot", "@yimen_bot") == f"https://t.me/yimen_bot?start={payload}"
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "@city_bot")
    assert _printed(capsys, "monitor", "link", "42") == f"https://t.me/city_bot?start={payload}"

    # Where the bureau is on WeChat, the same link as the QR code a visit leaves behind.
    for name in ("WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_TOKEN"):
        monkeypatch.setenv(name, "x")
    qr = f"on WeChat, a QR code to scan: yimen wechat qrcode {payload}"
    assert _printed(capsys, "monitor", "link", "42").splitlines()[1] == qr
