"""``yimen wechat menu`` and ``yimen wechat qrcode`` against the platform emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.config import ConfigError
from backend.policy.pack import PACKS
from bot.cli import main
from bot.wechat.commands import MENU_FILE, read_menu


@pytest.fixture
def wechat_env(platform, tmp_path: Path, monkeypatch):
    for name, value in {"WECHAT_APP_ID": platform.app_id, "WECHAT_APP_SECRET": platform.app_secret,
                        "WECHAT_TOKEN": platform.token, "WECHAT_API_BASE_URL": platform.url,
                        "YIMEN_DATA_DIR": str(tmp_path / "data"),
                        "YIMEN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"}.items():
        monkeypatch.setenv(name, value)
    return tmp_path


async def test_the_packs_menu_is_set(platform, wechat_env):
    import asyncio

    assert await asyncio.to_thread(main, ["wechat", "menu"]) == 0
    (menu,) = platform.menus
    assert [b["name"] for b in menu["button"]] == ["申请救助", "查看进度", "更多服务"]
    assert [b["key"] for b in menu["button"][2]["sub_button"]] == ["human", "start volunteer"]


async def test_a_qr_code_is_drawn_for_a_scene(platform, wechat_env):
    import asyncio

    out = wechat_env / "volunteer.png"
    assert await asyncio.to_thread(main, ["wechat", "qrcode", "volunteer", "--out", str(out), "--days", "7"]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")
    (call,) = [c for c in platform.calls if c.path.endswith("qrcode/create")]
    assert call.body["action_info"]["scene"]["scene_str"] == "volunteer" and call.body["expire_seconds"] == 7 * 86400


def test_a_menu_over_wechats_limits_is_refused_naming_the_place(tmp_path: Path):
    assert read_menu(PACKS / "demo" / MENU_FILE)["button"]
    bad = tmp_path / "menu.yaml"
    bad.write_text("button:\n" + "".join(f"  - {{type: click, name: b{i}, key: status}}\n" for i in range(4)))
    with pytest.raises(ConfigError, match="1 to 3 buttons"):
        read_menu(bad)
    bad.write_text("button:\n  - {type: click, name: x, key: '!!'}\n")
    with pytest.raises(ConfigError, match=r"button.0.key"):
        read_menu(bad)
