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


async def test_a_home_visits_code_must_be_a_link_of_this_installation_and_is_temporary(platform, wechat_env,
                                                                                        capsys):
    import asyncio

    from backend.config import Config
    from backend.monitoring.outreach import Outreach
    from backend.policy.pack import load_pack

    forged = "apply-1-" + "0" * 24
    assert await asyncio.to_thread(main, ["wechat", "qrcode", forged]) == 2
    assert "yimen monitor link" in capsys.readouterr().err
    assert not [c for c in platform.calls if c.path.endswith("qrcode/create")]

    config = Config.from_env()
    link = Outreach(load_pack(config.pack), decrypt=str, secret=config.secret_key).link(7)
    out = wechat_env / "visit.png"
    assert await asyncio.to_thread(main, ["wechat", "qrcode", link, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "valid 30 days" in printed and "filled in for alert 7" in printed, printed
    (call,) = [c for c in platform.calls if c.path.endswith("qrcode/create")]
    assert call.body["expire_seconds"] == 30 * 86400


async def test_what_wechat_refuses_and_an_unreachable_api_are_explained(platform, wechat_env, monkeypatch, capsys):
    import asyncio

    platform.fail_next(40164, path="token")
    assert await asyncio.to_thread(main, ["wechat", "menu"]) == 1
    assert "IP allow-list" in capsys.readouterr().err
    monkeypatch.setenv("WECHAT_API_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setattr("bot.wechat.api.WeChatApi.backoff", 0.0)
    assert await asyncio.to_thread(main, ["wechat", "qrcode", "poster-a"]) == 1
    err = capsys.readouterr().err
    assert "could not reach WeChat's API at http://127.0.0.1:9" in err and "Traceback" not in err
    assert not platform.menus


def test_a_menu_over_wechats_limits_is_refused_naming_the_place(tmp_path: Path):
    assert read_menu(PACKS / "demo" / MENU_FILE)["button"]
    bad = tmp_path / "menu.yaml"
    bad.write_text("button:\n" + "".join(f"  - {{type: click, name: b{i}, key: status}}\n" for i in range(4)))
    with pytest.raises(ConfigError, match="1 to 3 buttons"):
        read_menu(bad)
    with pytest.raises(ConfigError, match="no such file"):
        read_menu(tmp_path / "missing.yaml")
    bad.write_text("button: [unclosed\n")
    with pytest.raises(ConfigError, match="not readable as YAML"):
        read_menu(bad)
    bad.write_text("button:\n  - {type: click, name: x, key: '!!'}\n")
    with pytest.raises(ConfigError, match=r"button.0.key"):
        read_menu(bad)
