"""Configuration from environment variables, read once by the composition root."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from backend.client_address import Network, parse_networks
from backend.quiet_hours import QuietHours
from backend.wechat_config import WeChatConfig, wechat_from_env
from locales import DEFAULT_LOCALE, SUPPORTED


class ConfigError(ValueError):
    """A setting has a value Yimen cannot use; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Config:
    """Settings of one Yimen deployment.

    Attributes:
        database_url: SQLAlchemy async URL (``YIMEN_DATABASE_URL``); default a SQLite file.
        locale: the default locale for residents whose language is unknown (``YIMEN_LOCALE``).
        data_dir: where documents and the generated secret key live (``YIMEN_DATA_DIR``).
        secret_key: key for the keyed hashes of ID numbers (``YIMEN_SECRET_KEY``).
        pack: the policy pack, whose region tree the intake offers (``YIMEN_POLICY_PACK``).
        max_document_bytes: the largest document a resident may send (``YIMEN_MAX_DOCUMENT_MB``).
        telegram_token: the bot's token (``TELEGRAM_BOT_TOKEN``); Telegram is off without it.
        telegram_api_base_url: another Bot API server, e.g. a self-hosted one (``TELEGRAM_API_BASE_URL``).
        telegram_bot_username: the bot's username, for the t.me deep links the console shows
            (``TELEGRAM_BOT_USERNAME``, with or without the ``@``).
        webhook_url: receive updates by webhook at this public URL instead of polling (``YIMEN_WEBHOOK_URL``).
        webhook_secret: the secret Telegram sends with each webhook call (``YIMEN_WEBHOOK_SECRET``).
        http_host, http_port: where ``yimen serve`` listens (``YIMEN_HTTP_HOST``, ``YIMEN_HTTP_PORT``).
        api_url, api_token: the API a bot run apart submits to, and its bot-service token
            (``YIMEN_API_URL``, ``YIMEN_API_TOKEN``; only for ``yimen serve --role bot``).
        tick_seconds: how often the worker looks for due reminders and expiries (``YIMEN_TICK_SECONDS``).
        quiet_hours: when nothing but emergencies is sent to residents, in the region's time zone
            (``YIMEN_QUIET_HOURS``, e.g. ``22:00-07:00``; ``00:00-00:00`` for none).
        send_attempts: a message still failing after this many attempts is given up and caseworkers
            are told (``YIMEN_SEND_ATTEMPTS``).
        send_lease_seconds: how long a sender holds the messages it took; those of a sender that
            died wait this long for another (``YIMEN_SEND_LEASE_SECONDS``).
        telegram_overall_rate: messages a second Telegram takes from the bot in all
            (``YIMEN_TELEGRAM_OVERALL_RATE``; 30, more for paid broadcasts).
        telegram_chat_rate: messages a second Telegram takes for one chat (``YIMEN_TELEGRAM_CHAT_RATE``;
            1, Telegram's; another Bot API server, or a benchmark's emulator, may take more).
        telegram_chat_burst: messages Telegram takes for one chat at once before the rate holds
            (``YIMEN_TELEGRAM_CHAT_BURST``; 3).
        telegram_senders: how many processes send for the bot (``YIMEN_TELEGRAM_SENDERS``): Telegram's
            limits are per bot and per chat whichever process sends, so each process keeps to
            1/N of them, the overall rate and each chat's, and together they never exceed them.
        pool_size, pool_overflow: connections to a database server (PostgreSQL) each process keeps
            open, and opens beyond them at peaks (``YIMEN_DB_POOL_SIZE``, ``YIMEN_DB_POOL_OVERFLOW``;
            SQLAlchemy's 5 and 10). SQLite ignores them.
        instance: this process's name for good (``YIMEN_INSTANCE``), which its senders lease
            outbox items under: started again after a crash, it takes back its leases at once.
            Default: the host name and the HTTP port, which no two live processes on one host share.
        trusted_proxies: reverse proxies whose ``X-Forwarded-For`` names the client, as addresses or
            networks (``YIMEN_TRUSTED_PROXIES``, comma-separated; none by default).
        wechat: the WeChat Official Account (``WECHAT_*``, see ``backend/wechat_config.py``); None: off.
    """

    database_url: str
    locale: str
    data_dir: Path
    secret_key: bytes
    pack: str = "demo"
    max_document_bytes: int = 10 * 1024 * 1024
    telegram_token: str | None = None
    telegram_api_base_url: str | None = None
    telegram_bot_username: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    api_url: str | None = None
    api_token: str | None = None
    tick_seconds: float = 60.0
    quiet_hours: str = "22:00-07:00"
    send_attempts: int = 12
    send_lease_seconds: float = 60.0
    telegram_overall_rate: float = 30.0
    telegram_chat_rate: float = 1.0
    telegram_chat_burst: float = 3.0
    telegram_senders: int = 1
    pool_size: int = 5
    pool_overflow: int = 10
    instance: str | None = None
    trusted_proxies: str = ""
    wechat: WeChatConfig | None = None

    @property
    def embedded(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Config:
        env = os.environ if environ is None else environ
        cwd = cwd or Path.cwd()
        data_dir = Path(env.get("YIMEN_DATA_DIR") or cwd / "yimen-data")
        url = env.get("YIMEN_DATABASE_URL") or f"sqlite+aiosqlite:///{cwd / 'yimen.sqlite3'}"
        locale = env.get("YIMEN_LOCALE") or DEFAULT_LOCALE
        if locale not in SUPPORTED:
            raise ConfigError(f"YIMEN_LOCALE must be one of {', '.join(SUPPORTED)}, not {locale!r}")
        try:
            max_mb = float(env.get("YIMEN_MAX_DOCUMENT_MB") or 10)
        except ValueError as error:
            raise ConfigError("YIMEN_MAX_DOCUMENT_MB must be a number of megabytes") from error
        key = env.get("YIMEN_SECRET_KEY")
        return cls(
            database_url=url,
            locale=locale,
            data_dir=data_dir,
            secret_key=key.encode() if key else _local_secret(data_dir),
            pack=env.get("YIMEN_POLICY_PACK") or "demo",
            max_document_bytes=int(max_mb * 1024 * 1024),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_api_base_url=(env.get("TELEGRAM_API_BASE_URL") or "").rstrip("/") or None,
            telegram_bot_username=(env.get("TELEGRAM_BOT_USERNAME") or "").strip().lstrip("@") or None,
            webhook_url=env.get("YIMEN_WEBHOOK_URL") or None,
            webhook_secret=env.get("YIMEN_WEBHOOK_SECRET") or None,
            http_host=env.get("YIMEN_HTTP_HOST") or "127.0.0.1",
            http_port=_port(env.get("YIMEN_HTTP_PORT")),
            api_url=(env.get("YIMEN_API_URL") or "").rstrip("/") or None,
            api_token=env.get("YIMEN_API_TOKEN") or None,
            tick_seconds=_seconds(env.get("YIMEN_TICK_SECONDS"), "YIMEN_TICK_SECONDS"),
            quiet_hours=_quiet_hours(env.get("YIMEN_QUIET_HOURS")),
            send_attempts=_count(env.get("YIMEN_SEND_ATTEMPTS"), "YIMEN_SEND_ATTEMPTS", 12, "attempts"),
            send_lease_seconds=_seconds(env.get("YIMEN_SEND_LEASE_SECONDS"), "YIMEN_SEND_LEASE_SECONDS"),
            telegram_overall_rate=_rate(env.get("YIMEN_TELEGRAM_OVERALL_RATE"), "YIMEN_TELEGRAM_OVERALL_RATE", 30.0),
            telegram_chat_rate=_rate(env.get("YIMEN_TELEGRAM_CHAT_RATE"), "YIMEN_TELEGRAM_CHAT_RATE", 1.0),
            telegram_chat_burst=_rate(env.get("YIMEN_TELEGRAM_CHAT_BURST"), "YIMEN_TELEGRAM_CHAT_BURST", 3.0),
            telegram_senders=_count(env.get("YIMEN_TELEGRAM_SENDERS"), "YIMEN_TELEGRAM_SENDERS", 1, "processes"),
            pool_size=_count(env.get("YIMEN_DB_POOL_SIZE"), "YIMEN_DB_POOL_SIZE", 5, "connections"),
            pool_overflow=_count(env.get("YIMEN_DB_POOL_OVERFLOW"), "YIMEN_DB_POOL_OVERFLOW", 10, "connections",
                                 least=0),
            instance=env.get("YIMEN_INSTANCE") or None,
            trusted_proxies=_proxies(env.get("YIMEN_TRUSTED_PROXIES")),
            wechat=_wechat(env),
        )

    @property
    def instance_name(self) -> str:
        """``instance``, or the host name and the HTTP port."""
        return self.instance or f"{socket.gethostname()}:{self.http_port}"

    @property
    def proxies(self) -> tuple[Network, ...]:
        """``trusted_proxies`` as networks."""
        return parse_networks(self.trusted_proxies)


def _wechat(env: Mapping[str, str]) -> WeChatConfig | None:
    try:
        return wechat_from_env(env)
    except ValueError as error:
        raise ConfigError(str(error)) from None


def _proxies(raw: str | None) -> str:
    try:
        parse_networks(raw or "")
    except ValueError as error:
        raise ConfigError(f"YIMEN_TRUSTED_PROXIES: {error}") from None
    return raw or ""


def _port(raw: str | None) -> int:
    if not raw:
        return 8080
    if not raw.isdigit() or not 0 <= int(raw) < 65536:
        raise ConfigError(f"YIMEN_HTTP_PORT must be a port number, not {raw!r}")
    return int(raw)


def _rate(raw: str | None, name: str, default: float) -> float:
    return _positive(raw, name, default, "messages a second")


def _quiet_hours(raw: str | None) -> str:
    if not raw:
        return "22:00-07:00"
    try:
        QuietHours.parse(raw, "UTC")
    except ValueError as error:
        raise ConfigError(f"YIMEN_QUIET_HOURS: {error}") from None
    return raw


def _seconds(raw: str | None, name: str) -> float:
    return _positive(raw, name, 60.0, "seconds")


def _count(raw: str | None, name: str, default: int, unit: str, *, least: int = 1) -> int:
    """A whole number, at least ``least``, from the environment (``default`` when unset)."""
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < least:
        raise ConfigError(f"{name} must be a whole number of {unit}, at least {least}, not {raw!r}")
    return int(raw)


def _positive(raw: str | None, name: str, default: float, unit: str) -> float:
    """A positive, finite number from the environment (``default`` when unset)."""
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0
    if not 0 < value < float("inf"):
        raise ConfigError(f"{name} must be a positive number of {unit}, not {raw!r}")
    return value


def _local_secret(data_dir: Path) -> bytes:
    """A key generated on first run and kept beside the embedded database (mode 600)."""
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()
