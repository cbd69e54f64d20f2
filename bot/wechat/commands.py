"""``yimen wechat menu`` and ``yimen wechat qrcode SCENE``: the account's custom menu from the
policy pack's ``wechat_menu.yaml``, and parametrised QR codes for outreach, posters and home visits."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.config import Config, ConfigError

if TYPE_CHECKING:
    from bot.wechat.api import WeChatApi

MENU_FILE = "wechat_menu.yaml"
# WeChat's limits on a custom menu.
MAX_BUTTONS, MAX_SUB_BUTTONS = 3, 5
# A permanent QR code's scene string: 1 to 64 characters.
MAX_SCENE = 64
# A home visit's code serves one household once: temporary, so that the account's 100,000
# permanent codes are kept for posters.
VISIT_DAYS = 30
# What the errors an administrator meets first mean (WeChat's global return codes).
_REFUSALS = {
    40001: "the AppSecret is wrong, or another system fetched a new access token",
    40013: "the AppID is wrong",
    40125: "the AppSecret is wrong",
    40164: "this server's IP address is not on the account's IP allow-list (基本配置 → IP白名单)",
    48001: "the account may not use this API (a verified service account, 认证服务号, is needed)",
    45009: "today's quota for this API is used up",
}


def add_wechat_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="wechat_command", required=True)
    menu = sub.add_parser("menu", help="set the account's custom menu from the policy pack's wechat_menu.yaml")
    menu.add_argument("--file", type=Path, help="another menu file")
    qrcode = sub.add_parser("qrcode", help="a parametrised QR code (PNG): scanning it opens the chat with SCENE "
                            "as a deep link (e.g. volunteer, or a home visit's apply-… link)")
    qrcode.add_argument("scene", help="the deep link, as /start would take it")
    qrcode.add_argument("--out", type=Path, help="the PNG file (default: qrcode-SCENE.png)")
    qrcode.add_argument("--days", type=int, help=f"a temporary code valid this many days (at most 30); default: "
                        f"{VISIT_DAYS} for a home visit's apply-… link, else permanent")


def read_menu(path: Path) -> dict[str, Any]:
    """The menu file as WeChat's menu/create body, checked against WeChat's limits.

    Raises:
        ConfigError: naming the file and what is wrong.
    """
    import yaml

    from bot.wechat.inbound import menu_command

    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not readable as YAML ({error})") from None
    buttons = data.get("button") if isinstance(data, dict) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        raise ConfigError(f"{path}: 'button' must list 1 to {MAX_BUTTONS} buttons")
    for i, button in enumerate(buttons):
        subs = button.get("sub_button") if isinstance(button, dict) else None
        if subs is not None and (not isinstance(subs, list) or not 1 <= len(subs) <= MAX_SUB_BUTTONS):
            raise ConfigError(f"{path}: button.{i}.sub_button must list 1 to {MAX_SUB_BUTTONS} buttons")
        for j, leaf in enumerate(subs if subs is not None else [button]):
            where = f"button.{i}" + (f".sub_button.{j}" if subs is not None else "")
            if not isinstance(leaf, dict) or not leaf.get("name"):
                raise ConfigError(f"{path}: {where} needs a name")
            if leaf.get("type") == "click" and not menu_command(str(leaf.get("key") or "")).name.isalpha():
                raise ConfigError(f"{path}: {where}.key must be a command, e.g. status")
    return {"button": buttons}


async def run_wechat(config: Config, args: argparse.Namespace) -> int:
    import aiohttp

    from backend.db.opening import opened_database
    from backend.policy.pack import PACKS
    from bot.wechat.api import WeChatApi, WeChatError

    if config.wechat is None:
        raise ConfigError("WeChat is off: set WECHAT_APP_ID, WECHAT_APP_SECRET and WECHAT_TOKEN")
    async with opened_database(config) as database:
        api = WeChatApi(config.wechat, database)
        try:
            if args.wechat_command == "menu":
                return await _menu(api, args.file or PACKS / config.pack / MENU_FILE)
            opens, days = _scene(config, args.scene)
            return await _qrcode(api, args.scene, args.out, days if args.days is None else args.days, opens)
        except WeChatError as error:
            meaning = _REFUSALS.get(error.code)
            print(f"yimen: WeChat refused: error {error.code}" + (f": {meaning}" if meaning else ""), file=sys.stderr)
            return 1
        except (aiohttp.ClientError, TimeoutError) as error:
            # After the API client's own retries: the server cannot reach WeChat at all.
            print(f"yimen: could not reach WeChat's API at {config.wechat.api_base_url}: "
                  f"{type(error).__name__}", file=sys.stderr)
            return 1
        finally:
            await api.close()


async def _menu(api: WeChatApi, path: Path) -> int:
    menu = read_menu(path)
    await api.create_menu(menu)
    print(f"menu set: {', '.join(str(b['name']) for b in menu['button'])}")
    return 0


def _scene(config: Config, scene: str) -> tuple[str, int | None]:
    """What a scan of the scene's code opens, in words, and the days a code for it lasts unless
    told (None: permanent); a home visit's link must be one of ours.

    Raises:
        ConfigError: the scene is too long, or an apply-… link whose signature is not this installation's.
    """
    from backend.monitoring.outreach import LINK_PREFIX, Outreach
    from backend.policy.pack import load_pack
    from bot.runner.turn import DEEP_LINKS

    if not 1 <= len(scene) <= MAX_SCENE:
        raise ConfigError(f"SCENE must be 1 to {MAX_SCENE} characters")
    if scene in DEEP_LINKS:
        return f"the {DEEP_LINKS[scene]} registration", None
    if scene.startswith(LINK_PREFIX):
        alert = Outreach(load_pack(config.pack), decrypt=str, secret=config.secret_key).parse_link(scene)
        if alert is None:
            # A mistyped link would print a code that opens an empty application.
            raise ConfigError(f"{scene!r} is not a link of this installation: copy it from `yimen monitor link ALERT`")
        return f"the application filled in for alert {alert}'s household", VISIT_DAYS
    # Any other scene (a poster's name, say) opens the application, as following the account does.
    return "the application", None


async def _qrcode(api: WeChatApi, scene: str, out: Path | None, days: int | None, opens: str) -> int:
    import segno

    if days is not None and not 1 <= days <= 30:
        raise ConfigError("--days must be 1 to 30")
    answer = await api.create_qrcode(scene, expire_seconds=days * 86400 if days else None)
    path = out or Path(f"qrcode-{''.join(c if c.isalnum() or c in '-_' else '_' for c in scene)}.png")
    # The code's content is the URL WeChat gave for the ticket; drawn here, nothing else is fetched.
    segno.make(str(answer["url"]), error="m").save(str(path), scale=8, border=2)
    print(f"QR code for {scene!r} written to {path}" + (f" (valid {days} days)" if days else " (permanent)")
          + f"; a scan opens {opens}")
    return 0
