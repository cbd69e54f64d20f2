"""The WeChat Official Account's settings (``WECHAT_*``), read with the rest of the configuration."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com"
REQUIRED = ("WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_TOKEN")


@dataclass(frozen=True, slots=True)
class WeChatConfig:
    """A verified service account (认证服务号) Yimen answers for.

    Attributes:
        app_id, app_secret: the account's AppID and AppSecret (``WECHAT_APP_ID``, ``WECHAT_APP_SECRET``).
        token: the server token set on the platform, which signs every push (``WECHAT_TOKEN``).
        aes_key: the EncodingAESKey of safe mode (``WECHAT_AES_KEY``, 43 characters); None: plain mode.
        api_base_url: the API server (``WECHAT_API_BASE_URL``; another one for tests and proxies).
        templates: template ids by notice kind (``WECHAT_TEMPLATES``, ``kind=id,kind=id``; ``*`` for
            every kind without its own), for status changes to residents outside the 48-hour window.
        msgmenu: offer choices as a customer-service menu (``WECHAT_MSGMENU=1``), where the account may.
    """

    app_id: str
    app_secret: str
    token: str
    aes_key: str | None = None
    api_base_url: str = DEFAULT_API_BASE_URL
    templates: dict[str, str] = field(default_factory=dict)
    msgmenu: bool = False

    def template_for(self, kind: str) -> str | None:
        """The template id for a notice of ``kind``, or None when none is configured."""
        return self.templates.get(kind) or self.templates.get("*")


def wechat_from_env(env: Mapping[str, str]) -> WeChatConfig | None:
    """The settings, or None when WeChat is off (none of the required variables set).

    Raises:
        ValueError: some but not all are set, or one has a value that cannot work; the message
            names the variable.
    """
    given = [name for name in REQUIRED if env.get(name)]
    if not given:
        return None
    missing = [name for name in REQUIRED if not env.get(name)]
    if missing:
        raise ValueError(f"WeChat needs {', '.join(missing)} as well as {', '.join(given)}")
    aes_key = env.get("WECHAT_AES_KEY") or None
    if aes_key is not None:
        _check_aes_key(aes_key)
    return WeChatConfig(
        app_id=env["WECHAT_APP_ID"],
        app_secret=env["WECHAT_APP_SECRET"],
        token=env["WECHAT_TOKEN"],
        aes_key=aes_key,
        api_base_url=(env.get("WECHAT_API_BASE_URL") or DEFAULT_API_BASE_URL).rstrip("/"),
        templates=parse_templates(env.get("WECHAT_TEMPLATES") or ""),
        msgmenu=(env.get("WECHAT_MSGMENU") or "0").strip().lower() in ("1", "true", "yes", "on"),
    )


def parse_templates(raw: str) -> dict[str, str]:
    """``status_changed=TEMPLATE_ID,*=OTHER_ID`` as a dict.

    Raises:
        ValueError: an entry is not ``kind=id``.
    """
    templates: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in raw.split(","))):
        kind, sep, template = (s.strip() for s in entry.partition("="))
        if not (sep and kind and template):
            raise ValueError(f"WECHAT_TEMPLATES: {entry!r} is not KIND=TEMPLATE_ID")
        templates[kind] = template
    return templates


def _check_aes_key(key: str) -> None:
    try:
        ok = len(key) == 43 and len(base64.b64decode(key + "=", validate=True)) == 32
    except (binascii.Error, ValueError):
        ok = False
    if not ok:
        raise ValueError("WECHAT_AES_KEY must be the 43-character EncodingAESKey from the platform")
