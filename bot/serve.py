"""``yimen serve``: the API, the console, the Telegram bot and the worker, in one process or split by ``--role``.

- ``all`` (default): everything in one process over one database connection pool; the
  residents' web chat (``/chat``) and the console (``/console``) are served on the API's application.
- ``api``: the HTTP API and the console only (requests for a person are answered in chat).
- ``bot``: the Telegram bot and the web chat only; they submit applications to the API
  (``YIMEN_API_URL``) with an idempotency key, and webhooks, ``/chat`` and ``/healthz`` are
  answered on the bot's own port.
- ``worker``: status updates into the residents' channels (the notification dispatcher, every
  few seconds), and reminders and expiry of unfinished applications, monitoring (department
  events evaluated against the triggers, overdue alerts escalated) every ``YIMEN_TICK_SECONDS``.

Each part stops cleanly on SIGTERM: the update in hand is finished and stored first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web

from backend.api.client import ApiClient
from backend.config import Config, ConfigError
from backend.monitoring.outreach import Outreach
from backend.policy.pack import Pack
from backend.ports import Store, UnitOfWork
from backend.serving import AppRunner, transport_headers
from backend.web import health, init_app
from bot.app import Runtime, open_runtime, system_clock
from bot.staff_commands import StaffCommands

if TYPE_CHECKING:
    from bot.wechat.channel import WeChatChannel
from locales import Messages, Translations

log = logging.getLogger(__name__)

ROLES = ("all", "api", "bot", "worker")

TELEGRAM_OFF = (
    "Telegram is off: no TELEGRAM_BOT_TOKEN is set.\n"
    "To turn it on, set TELEGRAM_BOT_TOKEN to the token from @BotFather, and optionally\n"
    "TELEGRAM_API_BASE_URL (another Bot API server), YIMEN_WEBHOOK_URL and YIMEN_WEBHOOK_SECRET\n"
    "(receive updates by webhook at /telegram/webhook instead of polling)."
)

WECHAT_OFF = (
    "WeChat is off: no WECHAT_APP_ID, WECHAT_APP_SECRET and WECHAT_TOKEN are set.\n"
    "To turn it on, set them to the service account's AppID, AppSecret and server token, and optionally\n"
    "WECHAT_AES_KEY (safe mode), WECHAT_TEMPLATES (template ids by notice kind) and WECHAT_MSGMENU=1;\n"
    "the platform's server URL is this server's /wechat."
)


def _say(message: str) -> None:
    print(f"yimen: {message}", file=sys.stderr, flush=True)


def check_role(config: Config, role: str) -> None:
    """Refuse a split that cannot work, before anything starts.

    Raises:
        ConfigError: the bot runs apart without an API to submit to, or on SQLite (whose single
            write lock the bot's turn would hold while the API waits for it).
    """
    if role not in ROLES:
        raise ConfigError(f"--role must be one of {', '.join(ROLES)}")
    if role == "bot":
        if not (config.api_url and config.api_token):
            raise ConfigError("--role bot submits to the API: set YIMEN_API_URL and YIMEN_API_TOKEN "
                              "(a bot-service token from 'yimen users add NAME --role bot-service')")
        if config.embedded:
            raise ConfigError("--role bot needs a database server shared with the API (YIMEN_DATABASE_URL); "
                              "with the embedded SQLite database run everything in one process (--role all)")


async def serve(config: Config, stop: asyncio.Event | None = None, *, role: str = "all") -> None:
    """Run ``role`` until ``stop`` is set (by SIGTERM or SIGINT when not given)."""
    check_role(config, role)
    stop = stop or _stop_on_signals()
    if role == "api":
        await _serve_api(config, stop)
        return
    runtime, client = await _runtime(config, role)
    try:
        if role == "worker":
            await _work(runtime, stop)
            return
        if role == "all":
            await _first_admin(runtime.database, runtime.pack, runtime.services.clock)
            app = init_app(config, database=runtime.database, services=runtime.services.backend)
            _mount_console(app, runtime)
        else:
            app = _bot_app()
        await _serve_bot(runtime, app, stop, worker=role == "all")
    finally:
        if client is not None:
            await client.close()
        await runtime.close()
        _say("stopped")


async def _runtime(config: Config, role: str) -> tuple[Runtime, ApiClient | None]:
    html = Translations(html=True)
    if role != "bot":
        return await open_runtime(config, html_translations=html), None
    from backend.crypto import IdHasher
    from bot.remote_intake import RemoteIntake

    assert config.api_url and config.api_token
    client = ApiClient(config.api_url, config.api_token)
    await client.start()
    runtime = await open_runtime(config, html_translations=html,
                                 intake=RemoteIntake(client, IdHasher(config.secret_key)))
    return runtime, client


async def _first_admin(database: Store[UnitOfWork], pack: Pack, clock: Callable[[], datetime]) -> None:
    """A database with no administrator gets one, and its password is printed this once."""
    from backend.staff.accounts import first_admin

    async with database.unit_of_work() as uow:
        created = await first_admin(uow, pack.regions, now=clock())
        await uow.commit()
    if created is not None:
        username, password = created
        print(f"yimen: created the first administrator. Sign in to the console as {username!r} with the "
              f"password {password} (shown once; change it with 'yimen users password {username}')", flush=True)


def _mount_console(app: web.Application, runtime: Runtime | None) -> None:
    """The console at /console; with the bot's runtime, requests for a person are answered there too."""
    from backend.console.app import mount
    from flows.intake import INTAKE
    from flows.machine import question_states
    from flows.session import SUBMITTED, SUMMARY

    desk = None
    if runtime is not None:
        from bot.console_desk import ConsoleDesk

        desk = ConsoleDesk(runtime.services.desk, runtime.conversations)
    review_days = runtime.services.settings.review_days if runtime is not None else 10
    mount(app, desk=desk, funnel_steps=(*question_states(INTAKE), SUMMARY, SUBMITTED), review_days=review_days)


async def _serve_api(config: Config, stop: asyncio.Event) -> None:
    from backend.db.opening import opened_database
    from backend.policy.pack import load_pack

    async with opened_database(config) as database:
        await _first_admin(database, load_pack(config.pack), system_clock)
    app = init_app(config, clock=system_clock)
    _mount_console(app, None)
    runner = AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, config.http_host, config.http_port).start()
    _say(f"API and console listening on http://{config.http_host}:{config.http_port} (console: /console)")
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        _say("stopped")


def _bot_app() -> web.Application:
    """What a bot run apart serves over HTTP: its health and, when configured, the webhook."""
    app = web.Application(client_max_size=2 * 1024 * 1024, middlewares=[transport_headers])
    app.router.add_get("/healthz", health)
    return app


async def _serve_bot(runtime: Runtime, app: web.Application, stop: asyncio.Event, *, worker: bool) -> None:
    config = runtime.config
    bot = None
    if config.telegram_token:
        from bot.telegram.service import TelegramBot, TelegramSettings
        from bot.telegram.webhook import add_webhook_route

        desk = runtime.services.desk
        flood = _flood_share(config)
        bot = TelegramBot(
            runtime.conversations,
            TelegramSettings(
                token=config.telegram_token,
                api_base_url=config.telegram_api_base_url,
                webhook_url=config.webhook_url,
                webhook_secret=config.webhook_secret,
                send_attempts=config.send_attempts,
                send_lease_seconds=config.send_lease_seconds,
                overall_rate=flood["overall_rate"],
                per_chat_rate=flood["per_chat_rate"],
                per_chat_burst=flood["per_chat_burst"],
                instance=config.instance_name,
            ),
            desk=desk,
            staff_commands=_staff_commands(runtime),
            clock=runtime.services.clock,
        )
        if config.webhook_url:
            add_webhook_route(app, bot, config.webhook_secret)
    else:
        print(TELEGRAM_OFF, file=sys.stderr)
    wechat = _wechat(runtime, app)
    _add_web_chat(runtime, app)
    runner = AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, config.http_host, config.http_port).start()
    _say(f"listening on http://{config.http_host}:{config.http_port} (console: /console)")
    ticking = asyncio.create_task(_work(runtime, stop)) if worker else None
    try:
        if bot is not None:
            await bot.start()
            _say("telegram bot started")
        if wechat is not None:
            await wechat.start()
            _say("wechat official account at /wechat")
        await stop.wait()
    finally:
        # HTTP first: no new webhook calls, and those in hand (answered only once their turn is
        # stored) finish while the channels still run.
        await runner.cleanup()
        if wechat is not None:
            await wechat.stop()
        if bot is not None:
            await bot.stop()
        if ticking is not None:
            ticking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticking


def _flood_share(config: Config) -> dict[str, float]:
    """This process's share of Telegram's flood limits, which hold per bot and per chat whichever
    process sends: with N senders, 1/N of each rate and of the per-chat burst. Token buckets add
    up, so N processes that never talk to each other stay within the limits together (a chat
    served by one process alone gets 1/N of its rate: the price of no coordination)."""
    senders = config.telegram_senders
    return {
        "overall_rate": config.telegram_overall_rate / senders,
        "per_chat_rate": config.telegram_chat_rate / senders,
        "per_chat_burst": config.telegram_chat_burst / senders,
    }


def _wechat(runtime: Runtime, app: web.Application) -> WeChatChannel | None:
    """The WeChat Official Account at /wechat when configured; else say how to turn it on."""
    if runtime.config.wechat is None:
        print(WECHAT_OFF, file=sys.stderr)
        return None
    from bot.wechat.channel import WeChatChannel

    channel = WeChatChannel(runtime.conversations, runtime.config.wechat, send_attempts=runtime.config.send_attempts,
                            instance=runtime.config.instance_name)
    channel.add_routes(app, secret=runtime.config.secret_key)
    return channel


def _add_web_chat(runtime: Runtime, app: web.Application) -> None:
    """The residents' web chat (/chat) on the application that serves the API (or, run apart, the bot's)."""
    from bot.web_chat.routes import WebChat

    WebChat(runtime.conversations, secret=runtime.config.secret_key, proxies=runtime.config.proxies).add_routes(app)
    _say(f"web chat at http://{runtime.config.http_host}:{runtime.config.http_port}/chat")


def _staff_commands(runtime: Runtime) -> StaffCommands:
    """/task, /qualify and /redeem for staff on Telegram."""
    services = runtime.services
    return StaffCommands(runtime.database, desk=services.desk, volunteering=services.backend.volunteering,
                         ledger=services.backend.ledger, clock=services.clock)


async def _work(runtime: Runtime, stop: asyncio.Event, dispatch_seconds: float = 2.0) -> None:
    """Dispatch notifications every ``dispatch_seconds``; remind and expire every ``tick_seconds``."""
    from backend.quiet_hours import QuietHours
    from bot.dispatch import NotificationDispatcher

    config, services = runtime.config, runtime.services
    dispatcher = NotificationDispatcher(
        runtime.database,
        translations=services.translations,
        html_translations=services.html_translations or Translations(html=True),
        quiet=QuietHours.parse(config.quiet_hours, runtime.timezone),
        clock=services.clock,
        default_locale=config.locale,
        # Certificates are drawn into the documents folder the bot's sender uploads from: a
        # worker run apart must share the bot's data directory.
        storage=services.storage,
        pack=services.backend.pack,
    )
    staff_messages = (services.html_translations or Translations(html=True, timezone=runtime.timezone))(
        config.locale)
    _say(f"worker started: notifications every {dispatch_seconds:g} s, reminders every {config.tick_seconds:g} s")
    loop = asyncio.get_running_loop()
    next_tick = loop.time()
    while not stop.is_set():
        try:
            await dispatcher.drain()
            if loop.time() >= next_tick:
                next_tick = loop.time() + config.tick_seconds
                done = await runtime.conversations.tick()
                if done:
                    log.info("reminded or expired %d sessions with no channel to push to", len(done))
                await _tell_the_long_waiting(runtime)
                await _volunteer_tasks(runtime)
                await _monitor(runtime.database, runtime.pack, services.backend.outreach, services.clock,
                               staff_messages)
                await _remind_deadlines(runtime.database, runtime.pack, services.clock, staff_messages)
            await services.desk.escalate_unclaimed()
        except Exception:
            # One bad pass must not stop the worker; the next pass tries again.
            log.exception("worker pass failed")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), dispatch_seconds)


async def _tell_the_long_waiting(runtime: Runtime) -> None:
    services = runtime.services
    async with runtime.database.unit_of_work() as uow:
        told = await services.backend.cases.tell_the_long_waiting(
            uow, now=services.clock(), days=services.settings.review_days
        )
        await uow.commit()
    if told:
        log.info("told %d residents their application is still in review", told)


async def _volunteer_tasks(runtime: Runtime) -> None:
    """Next rounds of pings, reminders before tasks and check-ins after them."""
    services = runtime.services
    async with runtime.database.unit_of_work() as uow:
        acted = await services.backend.volunteering.tick(uow, services.clock())
        await uow.commit()
    if acted:
        log.info("volunteer tasks: %d pinged, reminded or asked to check in", acted)


async def _monitor(database: Store[UnitOfWork], pack: Pack, outreach: Outreach | None, clock: Callable[[], datetime],
                   staff_messages: Messages) -> None:
    """Evaluate the department events that came in; tell supervisors of alerts past their deadline."""
    from backend.monitoring.alerts import escalate_overdue
    from backend.monitoring.triggers import evaluate

    summary = await evaluate(database, pack, now=clock())
    if summary.households:
        log.info("monitoring: %d events evaluated, %d households assessed again, %d alerts raised "
                 "(%d within their window already)", summary.events, summary.households, summary.alerts,
                 summary.suppressed)
    escalated = await escalate_overdue(database, clock(), messages=staff_messages)
    if escalated:
        log.info("monitoring: %d alerts past their deadline escalated to supervisors", escalated)
    if outreach is not None:
        async with database.unit_of_work() as uow:
            sent, visits = await outreach.reach_out(uow, now=clock())
            await uow.commit()
        if sent or visits:
            log.info("monitoring: %d households told in the chat, %d listed for a home visit", sent, visits)


async def _remind_deadlines(database: Store[UnitOfWork], pack: Pack, clock: Callable[[], datetime],
                            staff_messages: Messages) -> None:
    """Remind assignees of cases near or past their deadline, and supervisors of those past it."""
    from backend.cases.deadline_reminders import remind_deadlines

    reminded = await remind_deadlines(database, pack, clock(), messages=staff_messages)
    if reminded:
        log.info("deadlines: %d cases near their deadline, %d past it, %d told to supervisors", reminded.before,
                 reminded.after, reminded.supervisor)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
