"""The update queue read by getUpdates: long polling, offset confirmation and the allowed update types."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from tests.fakes.telegram_api.errors import ApiError

if TYPE_CHECKING:
    from tests.fakes.telegram_api.server import BotApiEmulator

DEFAULT_ALLOWED = {"message", "edited_message", "callback_query", "channel_post", "edited_channel_post"}


def update_type(update: dict[str, Any]) -> str:
    """The update's kind ("message", "callback_query", ...)."""
    return next(key for key in update if key != "update_id")


def is_allowed(update: dict[str, Any], allowed: set[str]) -> bool:
    """Whether an update's type is among the allowed ones."""
    return update_type(update) in allowed


async def get_updates(emulator: BotApiEmulator, params: dict[str, Any]) -> list[dict[str, Any]]:
    """getUpdates with offset confirmation and long polling; 409 while a webhook is set or a newer poll arrives."""
    if emulator._webhook is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    emulator._poll_generation += 1
    generation = emulator._poll_generation
    emulator._notify()
    offset = params.get("offset")
    if isinstance(offset, int) and offset > 0:
        emulator._updates = [update for update in emulator._updates if update["update_id"] >= offset]
    elif isinstance(offset, int) and offset < 0:
        emulator._updates = emulator._updates[offset:]
    allowed_updates = params.get("allowed_updates")
    if isinstance(allowed_updates, list):
        emulator._allowed_updates = set(allowed_updates) or set(DEFAULT_ALLOWED)
    limit = params.get("limit") or 100
    limit = max(1, min(100, int(limit)))
    timeout = max(0.0, float(params.get("timeout") or 0))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if generation != emulator._poll_generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
            )
        if emulator._webhook is not None:
            raise ApiError(409, "Conflict: terminated by setWebhook request")
        ready = [update for update in emulator._updates if is_allowed(update, emulator._allowed_updates)][:limit]
        remaining = deadline - loop.time()
        if ready or remaining <= 0 or emulator._stopping:
            return [json.loads(json.dumps(update)) for update in ready]
        await emulator._wait_change(remaining)
