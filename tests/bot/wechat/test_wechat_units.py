"""The WeChat channel's small parts: configuration, reading pushes, and options as lines or a menu."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from aiohttp import web

from backend.config import Config, ConfigError
from bot import serve
from bot.wechat.choices import chosen_index, menu_id, msgmenu, numbered_text, parse_menu_id
from bot.wechat.inbound import read_push
from flows import events as ev

ENV = {"WECHAT_APP_ID": "wx1", "WECHAT_APP_SECRET": "s", "WECHAT_TOKEN": "t"}


def test_wechat_is_off_without_its_settings_and_serve_says_how_to_turn_it_on(tmp_path: Path, capsys):
    config = Config.from_env({}, cwd=tmp_path)
    assert config.wechat is None
    assert serve._wechat(SimpleNamespace(config=config), web.Application()) is None  # type: ignore[arg-type]
    err = capsys.readouterr().err
    assert "WeChat is off" in err and "WECHAT_APP_ID" in err and "/wechat" in err


def test_wechat_settings_are_read_and_checked(tmp_path: Path):
    config = Config.from_env({**ENV, "WECHAT_TEMPLATES": "status_changed=T1, *=T2", "WECHAT_MSGMENU": "1",
                              "WECHAT_API_BASE_URL": "http://127.0.0.1:9/"}, cwd=tmp_path)
    assert config.wechat is not None
    assert config.wechat.template_for("status_changed") == "T1" and config.wechat.template_for("approved") == "T2"
    assert config.wechat.msgmenu and config.wechat.api_base_url == "http://127.0.0.1:9"
    with pytest.raises(ConfigError, match="WECHAT_TOKEN"):
        Config.from_env({"WECHAT_APP_ID": "wx1", "WECHAT_APP_SECRET": "s"}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="WECHAT_AES_KEY"):
        Config.from_env({**ENV, "WECHAT_AES_KEY": "short"}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="WECHAT_TEMPLATES"):
        Config.from_env({**ENV, "WECHAT_TEMPLATES": "no-equals"}, cwd=tmp_path)


def _push(body: str, kind: str = "text", msg_id: str = "<MsgId>42</MsgId>") -> str:
    return (f"<xml><ToUserName>gh_a</ToUserName><FromUserName>o_x</FromUserName><CreateTime>1700000000</CreateTime>"
            f"<MsgType>{kind}</MsgType>{body}{msg_id}</xml>")


def test_pushes_are_read_with_the_key_wechat_repeats():
    text = read_push(_push("<Content>你好</Content>"))
    assert (text.kind, text.text, text.key, text.account) == ("text", "你好", "42", "gh_a")
    tap = read_push(_push("<Content>同意</Content><bizmsgmenuid>1203</bizmsgmenuid>"))
    assert tap.menu_id == "1203"
    voice = read_push(_push("<MediaId>m</MediaId><Recognition>张三。</Recognition>", "voice"))
    assert (voice.kind, voice.text) == ("voice", "张三")
    scan = read_push(_push("<Event>subscribe</Event><EventKey>qrscene_apply-abc</EventKey>", "event", ""))
    assert scan.event == ev.Command("start", "apply-abc") and scan.key == "o_x:1700000000:subscribe_scan"
    click = read_push(_push("<Event>CLICK</Event><EventKey>start volunteer</EventKey>", "event", ""))
    assert click.event == ev.Command("start", "volunteer")
    assert read_push(_push("<Event>LOCATION</Event><Latitude>1</Latitude>", "event", "")).kind == "silent"
    assert read_push(_push("<MediaId>v</MediaId>", "shortvideo")).event == ev.Unsupported("video")


def test_options_are_numbered_lines_or_a_menu_and_answered_by_number_or_text():
    payload = {"text": "您同意吗？", "buttons": [["yes", "同意", False], ["no", "不同意", True]]}
    assert numbered_text(payload) == "您同意吗？\n\n1. 同意\n2. ✓ 不同意"
    assert [chosen_index(t, payload) for t in ("1", "２", "不同意", "二", "3", "随便")] == [0, 1, 1, 1, None, None]
    lettered = {**payload, "free_text": True}
    assert numbered_text(lettered).endswith("a. 同意\nb. ✓ 不同意")
    # With the catalogs, a line in the message's language says how to answer.
    from locales import Translations

    hints = Translations()
    assert numbered_text({**payload, "locale": "en"}, hints).endswith("2. ✓ 不同意\nReply with the number or the "
                                                                      "text of an option.")
    assert numbered_text(lettered, hints).endswith("b. ✓ 不同意\n可以直接打字回答，或回复选项前的字母。")
    assert [chosen_index(t, lettered) for t in ("a", "1", "同意")] == [0, None, 0]
    menu = msgmenu(57, payload)
    assert [item["id"] for item in menu["list"]] == [menu_id(57, 0), menu_id(57, 1)]
    assert parse_menu_id(menu["list"][1]["id"]) == (57, 1) and parse_menu_id("x1") is None


def test_a_long_message_is_cut_between_lines_into_parts_wechat_takes():
    from bot.wechat.sender import split_text

    lines = [f"第{i}行：" + "很长的说明" * 20 for i in range(30)]
    parts = split_text("\n".join(lines))
    assert len(parts) > 1 and all(len(p.encode()) <= 2048 for p in parts)
    assert "\n".join(parts) == "\n".join(lines)
    assert split_text("短") == ["短"]
    (long_line,) = ["字" * 1000]
    assert "".join(split_text(long_line)) == long_line
