"""The ``yimen`` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from backend.commands.ledgers import add_arguments as add_ledger_arguments
from backend.commands.monitoring import add_demo_arguments, add_monitor_arguments, add_registry_arguments
from backend.commands.users import add_arguments as add_users_arguments
from backend.config import Config, ConfigError
from backend.monitoring.vocabulary import SOURCES
from backend.policy.cli import add_arguments as add_assess_arguments
from backend.policy.cli import run as run_assess

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yimen", description="Yimen (一门): one door for social assistance.")
    sub = parser.add_subparsers(dest="command", required=True)

    chat = sub.add_parser("chat", help="talk to Yimen as a resident, in this terminal")
    chat.add_argument("--lang", choices=("zh_CN", "en"), help="the resident's language (else asked)")
    chat.add_argument("--user", default="local", help="which simulated resident (separate sessions)")

    desk = sub.add_parser("desk", help="answer residents' requests for a person as a caseworker, in this terminal")
    desk.add_argument("username", help="your staff account (yimen users add ...)")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply every migration")

    schema = sub.add_parser("schema", help="write the application JSON Schema")
    schema.add_argument("--output", type=Path, default=DOCS / "application.schema.json")

    flows = sub.add_parser("flows", help="flow definitions")
    flows_sub = flows.add_subparsers(dest="flows_command", required=True)
    flows_sub.add_parser("diagram", help="rewrite the Mermaid diagram beside each flow")

    assess = sub.add_parser("assess",
                            help="assess one household under a policy pack (JSON, or sentences with --explain)")
    add_assess_arguments(assess)

    users = sub.add_parser("users", help="staff and service accounts of the API")
    add_users_arguments(users)

    registry = sub.add_parser("registry", help="the registry of the monitored population (5+N)")
    add_registry_arguments(registry)

    monitor = sub.add_parser("monitor", help="monitoring (监测预警): department data matched against the registry")
    monitor_sub = add_monitor_arguments(monitor)
    key = monitor_sub.add_parser("key", help="create or rotate the key a department signs pushed events with "
                                 "(printed once)")
    key.add_argument("source", choices=tuple(SOURCES), help="the department")
    link = monitor_sub.add_parser("link", help="the deep link a caseworker hands a household listed for a home "
                                  "visit: it opens the application filled in for them in the chat")
    link.add_argument("alert", type=int, help="the alert's number")
    link.add_argument("--bot", help="the bot's username, to print a t.me link (default: TELEGRAM_BOT_USERNAME)")

    for ledger, about in (("points", "the credit-points ledger"), ("funds", "the named funds")):
        add_ledger_arguments(sub.add_parser(ledger, help=f"{about}: reconciliation"), ledger)

    demo = sub.add_parser("demo-data", help="write a synthetic city: a registry file and a data file per department")
    add_demo_arguments(demo)

    from bot.wechat.commands import add_wechat_arguments

    add_wechat_arguments(sub.add_parser("wechat", help="the WeChat Official Account: its menu and QR codes"))

    sub.add_parser("tick", help="send the reminders and expiry notices that are due (for cron)")
    serve = sub.add_parser("serve", help="run the API and, with TELEGRAM_BOT_TOKEN, the Telegram bot")
    serve.add_argument(
        "--role",
        choices=("all", "api", "bot", "worker"),
        default="all",
        help="run everything in one process (default), or one part: the API, the bot (which then submits "
        "to YIMEN_API_URL), or the worker (reminders and expiry notices)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    level = logging.INFO if args.command == "serve" else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # A request URL holds the bot token: should one go through python-telegram-bot's default
    # client (httpx; the bot's own go through aiohttp, which logs none), it stays out of the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        if args.command == "schema":
            return write_schema(args.output)
        if args.command == "flows":
            return write_diagrams()
        if args.command == "assess":
            return run_assess(args)
        if args.command == "demo-data":
            from backend.commands.monitoring import run_demo

            return run_demo(args)
        config = Config.from_env()
        return asyncio.run(_COMMANDS[args.command](config, args))
    except ConfigError as error:
        print(f"yimen: {error}", file=sys.stderr)
        return 2


def write_schema(output: Path) -> int:
    from backend.application import json_schema

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {output}")
    return 0


def write_diagrams() -> int:
    from flows.diagrams import DIAGRAMS, render

    for flow, path in DIAGRAMS:
        path.write_text(render(flow), encoding="utf-8")
        print(f"wrote {path}")
    return 0


async def _chat(config: Config, args: argparse.Namespace) -> int:
    from bot.app import open_runtime
    from bot.terminal import TerminalChat, interactive_lines

    runtime = await open_runtime(config)
    try:
        scripted = not sys.stdin.isatty()
        chat = TerminalChat(runtime.conversations, user=args.user, locale=args.lang, echo=scripted)
        await chat.run(sys.stdin if scripted else interactive_lines())
    finally:
        await runtime.close()
    return 0


async def _desk(config: Config, args: argparse.Namespace) -> int:
    from bot.app import open_runtime
    from bot.terminal import interactive_lines
    from bot.terminal_desk import TerminalCaseworker
    from locales import Translations

    runtime = await open_runtime(config)
    try:
        async with runtime.database.unit_of_work() as uow:
            user = await uow.users.get(args.username)
        if user is None or not user.active:
            print(f"no active staff account {args.username!r}: see yimen users add", file=sys.stderr)
            return 2
        desk = TerminalCaseworker(runtime.conversations, runtime.services.desk, user,
                                  Translations(timezone=runtime.timezone)(config.locale))
        await desk.send("/help")
        if sys.stdin.isatty():
            async for line in interactive_lines("desk> "):
                await desk.send(line)
        else:
            for line in sys.stdin:
                await desk.send(line)
    finally:
        await runtime.close()
    return 0


async def _db(config: Config, args: argparse.Namespace) -> int:
    from backend.db.migrate import upgrade

    await upgrade(config.database_url)
    print("database is up to date")
    return 0


async def _tick(config: Config, args: argparse.Namespace) -> int:
    from bot.app import open_runtime

    runtime = await open_runtime(config)
    try:
        for resident_id, replies in await runtime.conversations.tick():
            for reply in replies:
                print(f"[{resident_id}] {reply.text}")
    finally:
        await runtime.close()
    return 0


async def _serve(config: Config, args: argparse.Namespace) -> int:
    from bot.serve import serve

    await serve(config, role=args.role)
    return 0


async def _users(config: Config, args: argparse.Namespace) -> int:
    from backend.commands.users import run

    return await run(config, args)


async def _registry(config: Config, args: argparse.Namespace) -> int:
    from backend.commands.monitoring import run_registry

    return await run_registry(config, args)


async def _ledger(config: Config, args: argparse.Namespace) -> int:
    from backend.commands.ledgers import run

    return await run(config, args)


async def _monitor(config: Config, args: argparse.Namespace) -> int:
    return await _MONITOR[args.monitor_command](config, args)


async def _monitor_import(config: Config, args: argparse.Namespace) -> int:
    from backend.commands.monitoring import run_monitor

    return await run_monitor(config, args)


async def _monitor_key(config: Config, args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from backend.db.opening import opened_database
    from backend.monitoring.push import rotate_key

    async with opened_database(config) as database:
        key = await rotate_key(database, args.source, secret_key=config.secret_key, now=datetime.now(UTC))
    print(f"key for {args.source} (shown once; a key made before no longer works): {key}")
    return 0


async def _monitor_link(config: Config, args: argparse.Namespace) -> int:
    from backend.monitoring.outreach import Outreach
    from backend.policy.pack import load_pack

    payload = Outreach(load_pack(config.pack), decrypt=str, secret=config.secret_key).link(args.alert)
    bot = (args.bot or "").lstrip("@") or config.telegram_bot_username
    print(f"https://t.me/{bot}?start={payload}" if bot else f"/start {payload}")
    if config.wechat is not None:
        print(f"on WeChat, a QR code to scan: yimen wechat qrcode {payload}")
    return 0


async def _wechat(config: Config, args: argparse.Namespace) -> int:
    from bot.wechat.commands import run_wechat

    return await run_wechat(config, args)


_MONITOR = {"import": _monitor_import, "key": _monitor_key, "link": _monitor_link}
_COMMANDS = {
    "chat": _chat, "desk": _desk, "db": _db, "tick": _tick, "serve": _serve, "users": _users,
    "registry": _registry, "monitor": _monitor, "points": _ledger, "funds": _ledger, "wechat": _wechat,
}


if __name__ == "__main__":
    sys.exit(main())
