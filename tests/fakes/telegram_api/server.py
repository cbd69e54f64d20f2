"""The emulator's server: its state, lifecycle, inspection helpers and HTTP routing of methods and downloads."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Callable
from typing import Any

from aiohttp import ClientSession, web

from tests.fakes.telegram_api.calls import ApiCall
from tests.fakes.telegram_api.errors import BLOCKED, ApiError
from tests.fakes.telegram_api.faults import FaultPlan
from tests.fakes.telegram_api.files import FileStore
from tests.fakes.telegram_api.flood import FloodLimiter, FloodRates
from tests.fakes.telegram_api.messages import SentMessage
from tests.fakes.telegram_api.methods import HANDLERS, METHOD_NAMES
from tests.fakes.telegram_api.params import loggable, read_params
from tests.fakes.telegram_api.updates import DEFAULT_ALLOWED
from tests.fakes.telegram_api.users import SimUser

_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class BotApiEmulator:
    """An in-process Telegram Bot API server for python-telegram-bot, with flood limits and fault injection."""

    slow_seconds: float = 2.0
    enforce_flood_limits: bool = True
    chat_burst: float = 3
    chat_rate: float = 1.0
    global_burst: float = 30
    global_rate: float = 30.0
    max_download_bytes: int | None = 20 * 1024 * 1024
    webhook_retry_delay: float = 0.05
    webhook_max_retry_delay: float = 1.0
    webhook_timeout: float = 10.0
    # Updates POSTed at once (up to the webhook's max_connections); 1: one at a time, in order.
    webhook_connections: int = 1

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        bot_username: str = "yimen_test_bot",
        bot_first_name: str = "Yimen",
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.bot_id = int(token.split(":", 1)[0])
        self.url = ""
        self.flood_violations: list[str] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook_deliveries: list[dict[str, Any]] = []
        self.internal_errors: list[str] = []
        self._clock = clock
        self._wall_clock = wall_clock
        self._users: dict[int, SimUser] = {}
        self._calls: list[ApiCall] = []
        self._sent: dict[int, list[SentMessage]] = {}
        self._bot_messages: dict[tuple[int, int], SentMessage] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._message_ids: dict[int, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._last_update_id = 0
        self._allowed_updates: set[str] = set(DEFAULT_ALLOWED)
        self._poll_generation = 0
        self._files = FileStore()
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self._callback_answers: list[dict[str, Any]] = []
        self._query_counter = 0
        self._flood = FloodLimiter()
        self._faults = FaultPlan()
        self._webhook: dict[str, Any] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._changed = asyncio.Event()
        self._stopping = False
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Listen on 127.0.0.1 at a free port and set :attr:`url`."""
        self._stopping = False
        self._changed = asyncio.Event()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self._session = ClientSession()

    async def stop(self) -> None:
        """Stop webhook delivery, release long polls and close the server."""
        self._stopping = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._webhook_task
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> BotApiEmulator:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop the server."""
        await self.stop()

    # ------------------------------------------------------------------ users and inspection

    def user(
        self,
        user_id: int,
        *,
        first_name: str = "Test",
        language_code: str | None = "zh-hans",
        username: str | None = None,
        started: bool = True,
    ) -> SimUser:
        """The simulated user with this id (created on first use; `started=False`: has never opened the bot)."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        created = SimUser(
            self, user_id, first_name=first_name, language_code=language_code, username=username, started=started
        )
        self._users[user_id] = created
        return created

    def sent(self, chat_id: int) -> list[SentMessage]:
        """Every message the bot sent to the chat, in order, as currently shown (deleted ones flagged)."""
        return list(self._sent.get(chat_id, []))

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every Bot API call received (optionally only of one method, case-insensitive), in order."""
        if method is None:
            return list(self._calls)
        wanted = method.lower()
        return [call for call in self._calls if call.method.lower() == wanted]

    @property
    def last_update_id(self) -> int:
        """The update_id of the newest update queued so far (0 before any)."""
        return self._last_update_id

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed (polling) or delivered (webhook)."""
        return list(self._updates)

    async def wait_for(self, chat_id: int, count: int, timeout: float = 10.0) -> list[SentMessage]:
        """Wait until the bot has sent at least `count` messages to the chat; return them all."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self._sent.get(chat_id, [])) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                texts = [message.plain_text for message in self._sent.get(chat_id, [])]
                failed = [f"{c.method}->{c.status}{'/' + c.fault if c.fault else ''}" for c in self._calls[-10:]]
                raise TimeoutError(
                    f"chat {chat_id} has {len(texts)} of {count} bot messages after {timeout}s: {texts}; "
                    f"last calls: {failed}"
                )
            await self._wait_change(remaining)
        return self.sent(chat_id)

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = 10.0) -> list[ApiCall]:
        """Wait until at least `count` calls of `method` have been answered."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len([call for call in self.calls(method) if call.status is not None]) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"fewer than {count} answered {method} calls after {timeout}s")
            await self._wait_change(remaining)
        return self.calls(method)

    # ------------------------------------------------------------------ faults

    def fail(
        self,
        *,
        rate: float = 0.0,
        methods: set[str] | None = None,
        kinds: tuple[str, ...] = ("429", "500", "502", "drop"),
        retry_after: int = 1,
        seed: int = 0,
    ) -> None:
        """Fail a random `rate` of calls (to `methods`, or all; "download" names file downloads) with one of `kinds`."""
        self._faults.fail(rate, methods, kinds, retry_after, seed)

    def fail_next(self, method: str, kind: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Fail the next `times` calls of `method` with `kind`: 429 500 502 403 drop drop_after slow."""
        self._faults.fail_next(method, kind, times=times, retry_after=retry_after)

    def clear_faults(self) -> None:
        """Forget all queued and random faults."""
        self._faults.clear()

    # ------------------------------------------------------------------ internal state helpers

    def _notify(self) -> None:
        """Wake everything waiting for a state change."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, timeout: float) -> None:
        """Wait for the next state change or `timeout` seconds."""
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    def delivered(self, user: SimUser, message: dict[str, Any]) -> None:
        """Called with each bot message as it is recorded; nothing here. A benchmark overrides it to
        stamp arrivals and wake the waiting resident without polling."""

    def _next_message_id(self, chat_id: int) -> int:
        """The next message id in a chat (user and bot messages share the sequence)."""
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def _record_user_message(self, message: dict[str, Any]) -> dict[str, Any]:
        """Remember a user's message and queue it as an update."""
        self._messages[(message["chat"]["id"], message["message_id"])] = message
        self._enqueue({"message": message})
        return message

    def _enqueue(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update with the next update_id."""
        self._last_update_id += 1
        update = {"update_id": self._last_update_id, **payload}
        self._updates.append(update)
        self._notify()
        return update

    def _new_callback_query(self, user_id: int) -> str:
        """A fresh callback query id for this user."""
        self._query_counter += 1
        query_id = str(4_000_000_000_000_000 + self._query_counter)
        self._callback_queries[query_id] = {"user_id": user_id, "answered": False}
        return query_id

    def _bot_user(self) -> dict[str, Any]:
        """The bot as a User object in messages."""
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name, "username": self.bot_username}

    def _take_flood_token(self, chat_id: int, method: str) -> None:
        """Spend one per-chat and one global token, or raise 429 and record the violation."""
        if not self.enforce_flood_limits:
            return
        rates = FloodRates(self.chat_burst, self.chat_rate, self.global_burst, self.global_rate)
        self._flood.take(chat_id, method, self._clock(), rates, self.flood_violations)

    # ------------------------------------------------------------------ HTTP plumbing

    @staticmethod
    def _error_body(status: int, description: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
        """A Bot API error response body."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return body

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        """Route /bot{token}/{method} and /file/bot{token}/{path}."""
        path = request.path
        if path.startswith("/file/bot"):
            return await self._handle_download(request, path[len("/file/bot") :])
        if path.startswith("/bot"):
            token, _, method = path[len("/bot") :].partition("/")
            return await self._handle_method(request, token, method.strip("/"))
        return web.json_response(self._error_body(404, "Not Found"), status=404)

    async def _handle_method(self, request: web.Request, token: str, name: str) -> web.StreamResponse:
        """Answer one Bot API method call, applying token checks and faults."""
        canonical = METHOD_NAMES.get(name.lower(), name)
        call = ApiCall(method=canonical, params={}, time=self._clock(), http_method=request.method)
        self._calls.append(call)
        try:
            params = await read_params(request)
        except ApiError as error:
            return self._finish(call, error.status, self._error_body(error.status, error.description))
        call.params = loggable(params)
        if token != self.token:
            status, text = (401, "Unauthorized") if _TOKEN_RE.match(token) else (404, "Not Found")
            return self._finish(call, status, self._error_body(status, text))
        handler = HANDLERS.get(canonical)
        if handler is None:
            return self._finish(call, 404, self._error_body(404, "Not Found"))
        fault = self._faults.pick(canonical)
        kind = fault[0] if fault else None
        call.fault = kind
        if fault is not None:
            early = self._early_fault(request, call, *fault)
            if early is not None:
                return early
        try:
            result = await handler(self, params)
        except ApiError as error:
            status, body = error.status, self._error_body(error.status, error.description, error.parameters)
        except Exception as exc:  # a bug in the emulator: answer 500 and keep it for the test to see
            self.internal_errors.append(f"{canonical}({call.params}): {exc!r}")
            status, body = 500, self._error_body(500, f"Internal Server Error: emulator bug {exc!r}")
        else:
            status, body = 200, {"ok": True, "result": result}
        if kind == "drop_after":
            return self._drop(request, call)
        if kind == "slow":
            await self._sleep_unless_stopping(self.slow_seconds)
        return self._finish(call, status, body)

    def _early_fault(
        self, request: web.Request, call: ApiCall, kind: str, retry_after: int
    ) -> web.StreamResponse | None:
        """The response for a fault that prevents the call from taking effect, or None."""
        if kind == "429":
            body = self._error_body(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
            return self._finish(call, 429, body)
        if kind == "500":
            return self._finish(call, 500, self._error_body(500, "Internal Server Error"))
        if kind == "502":
            return self._finish(call, 502, self._error_body(502, "Bad Gateway"))
        if kind == "403":
            return self._finish(call, 403, self._error_body(403, BLOCKED))
        if kind == "drop":
            return self._drop(request, call)
        return None

    def _finish(self, call: ApiCall, status: int, body: dict[str, Any]) -> web.Response:
        """Record the outcome and build the JSON response."""
        call.status = status
        call.response = body
        self._notify()
        return web.json_response(body, status=status, dumps=lambda obj: json.dumps(obj, ensure_ascii=False))

    def _drop(self, request: web.Request, call: ApiCall) -> web.StreamResponse:
        """Close the connection without answering."""
        call.status = 0
        call.response = None
        self._notify()
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=499)

    async def _sleep_unless_stopping(self, seconds: float) -> None:
        """Sleep, cut short when the emulator stops."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self._stopping and loop.time() < deadline:
            await self._wait_change(deadline - loop.time())

    async def _handle_download(self, request: web.Request, rest: str) -> web.StreamResponse:
        """Serve file bytes at /file/bot{token}/{file_path}."""
        token, _, file_path = rest.partition("/")
        call = ApiCall("download", {"file_path": file_path}, self._clock(), http_method=request.method)
        self._calls.append(call)
        stored = self._files.at_path(file_path)
        if token != self.token or stored is None:
            return self._finish(call, 404, self._error_body(404, "Not Found"))
        fault = self._faults.pick("download")
        call.fault = fault[0] if fault else None
        if fault is not None:
            early = self._early_fault(request, call, *fault)
            if early is not None:
                return early
            if fault[0] == "drop_after":
                return self._drop(request, call)
            await self._sleep_unless_stopping(self.slow_seconds)
        call.status = 200
        self._notify()
        return web.Response(body=stored.data, content_type="application/octet-stream")
