"""Webhook delivery: setWebhook, deleteWebhook, getWebhookInfo and the loop that POSTs updates in order."""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any

from aiohttp import ClientError, ClientTimeout

from tests.fakes.telegram_api.errors import bad
from tests.fakes.telegram_api.updates import DEFAULT_ALLOWED, is_allowed

if TYPE_CHECKING:
    from tests.fakes.telegram_api.server import BotApiEmulator

_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


async def set_webhook(emulator: BotApiEmulator, params: dict[str, Any]) -> bool:
    """setWebhook (an empty url removes it)."""
    url = str(params.get("url") or "")
    if not url:
        return await delete_webhook(emulator, params)
    if not re.match(r"^https?://\S+$", url):
        raise bad("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.get("secret_token")
    if secret is not None and not _SECRET_RE.match(str(secret)):
        raise bad("secret token contains unallowed characters")
    if params.get("drop_pending_updates"):
        emulator._updates.clear()
    allowed_updates = params.get("allowed_updates")
    if isinstance(allowed_updates, list):
        emulator._allowed_updates = set(allowed_updates) or set(DEFAULT_ALLOWED)
    emulator._webhook = {
        "url": url,
        "secret_token": secret,
        "max_connections": int(params.get("max_connections") or 40),
    }
    emulator._webhook_error = None
    emulator._notify()
    if emulator._webhook_task is None or emulator._webhook_task.done():
        emulator._webhook_task = asyncio.create_task(deliver_webhook_updates(emulator), name="BotApiEmulator:webhook")
    return True


async def delete_webhook(emulator: BotApiEmulator, params: dict[str, Any]) -> bool:
    """deleteWebhook."""
    emulator._webhook = None
    if params.get("drop_pending_updates"):
        emulator._updates.clear()
    emulator._notify()
    return True


async def get_webhook_info(emulator: BotApiEmulator, params: dict[str, Any]) -> dict[str, Any]:
    """getWebhookInfo."""
    info: dict[str, Any] = {
        "url": emulator._webhook["url"] if emulator._webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(emulator._updates),
    }
    if emulator._webhook:
        info["max_connections"] = emulator._webhook["max_connections"]
        info["allowed_updates"] = sorted(emulator._allowed_updates)
    if emulator._webhook_error:
        info["last_error_date"], info["last_error_message"] = emulator._webhook_error
    return info


async def deliver_webhook_updates(emulator: BotApiEmulator) -> None:
    """POST queued updates to the webhook, retrying each with backoff until 2xx: one at a time and in
    order, or (``emulator.webhook_connections`` > 1) as Telegram does, over up to that many parallel
    connections (capped by the webhook's ``max_connections``), so that two updates of one chat can
    be in flight at once and reach two processes behind a load balancer."""
    if emulator.webhook_connections > 1:
        await _deliver_in_parallel(emulator)
    else:
        await _deliver_one_at_a_time(emulator)


async def _deliver_one_at_a_time(emulator: BotApiEmulator) -> None:
    delay = emulator.webhook_retry_delay
    while not emulator._stopping and emulator._webhook is not None:
        _drop_unwanted(emulator)
        if not emulator._updates:
            await emulator._wait_change(1.0)
            continue
        update = emulator._updates[0]
        error = await _post(emulator, emulator._webhook, update)
        if error is None:
            if update in emulator._updates:
                emulator._updates.remove(update)
            delay = emulator.webhook_retry_delay
            emulator._notify()
            continue
        await emulator._sleep_unless_stopping(delay)
        delay = min(delay * 2, emulator.webhook_max_retry_delay)


async def _deliver_in_parallel(emulator: BotApiEmulator) -> None:
    loop = asyncio.get_running_loop()
    in_flight: dict[int, asyncio.Task[str | None]] = {}
    backoff: dict[int, tuple[float, float]] = {}  # update_id -> (not before, next delay)
    try:
        while not emulator._stopping and emulator._webhook is not None:
            webhook = emulator._webhook
            for update_id, task in list(in_flight.items()):
                if not task.done():
                    continue
                del in_flight[update_id]
                if task.result() is None:
                    emulator._updates[:] = [u for u in emulator._updates if u["update_id"] != update_id]
                    backoff.pop(update_id, None)
                    emulator._notify()
                else:
                    delay = backoff.get(update_id, (0.0, emulator.webhook_retry_delay))[1]
                    backoff[update_id] = (loop.time() + delay, min(delay * 2, emulator.webhook_max_retry_delay))
            _drop_unwanted(emulator)
            limit = min(emulator.webhook_connections, int(webhook.get("max_connections") or 40))
            now, wake = loop.time(), 1.0
            for update in emulator._updates:  # oldest first, as Telegram sends them
                if len(in_flight) >= limit:
                    break
                update_id = update["update_id"]
                if update_id in in_flight:
                    continue
                not_before = backoff.get(update_id, (0.0, 0.0))[0]
                if not_before > now:
                    wake = min(wake, not_before - now)
                    continue
                task = asyncio.create_task(_post(emulator, webhook, update))
                task.add_done_callback(lambda _: emulator._notify())
                in_flight[update_id] = task
            await emulator._wait_change(wake)
    finally:
        for task in in_flight.values():
            task.cancel()
        await asyncio.gather(*in_flight.values(), return_exceptions=True)


def _drop_unwanted(emulator: BotApiEmulator) -> None:
    for update in list(emulator._updates):
        if not is_allowed(update, emulator._allowed_updates):
            emulator._updates.remove(update)


async def _post(emulator: BotApiEmulator, webhook: dict[str, Any], update: dict[str, Any]) -> str | None:
    """POST one update; None when the webhook answered 2xx, else what went wrong (also recorded)."""
    headers = {"Content-Type": "application/json"}
    if webhook.get("secret_token"):
        headers["X-Telegram-Bot-Api-Secret-Token"] = str(webhook["secret_token"])
    error: str | None = None
    status: int | None = None
    assert emulator._session is not None
    try:
        async with emulator._session.post(
            webhook["url"],
            data=json.dumps(update, ensure_ascii=False).encode("utf-8"),
            headers=headers,
            timeout=ClientTimeout(total=emulator.webhook_timeout),
        ) as response:
            status = response.status
            await response.read()
            if not 200 <= status < 300:
                error = f"Wrong response from the webhook: {status} {response.reason}"
    except (ClientError, OSError, TimeoutError) as exc:
        error = f"Connection failed: {exc!r}"
    emulator.webhook_deliveries.append({"update_id": update["update_id"], "status": status, "error": error})
    if error is not None:
        emulator._webhook_error = (int(emulator._wall_clock()), error)
        emulator._notify()
    return error
