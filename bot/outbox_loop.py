"""The polling loop every channel's sender runs over its outbox.

A pass sends what is due; when a pass found nothing, the loop waits for a wake-up (something was
queued in this process) or the poll interval (something queued by another process), whichever
comes first. On stop it makes one last, short pass so that what the last turns queued goes out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

SHUTDOWN_PASS_SECONDS = 5


async def poll_outbox(drain_once: Callable[[], Awaitable[int]], wake: asyncio.Event, stop: asyncio.Event, *,
                      idle_poll: float, log: logging.Logger) -> None:
    """Run ``drain_once`` until ``stop`` is set, then once more, briefly."""
    while not stop.is_set():
        wake.clear()
        try:
            sent = await drain_once()
        except Exception:  # the database or the network is away; try again shortly
            log.exception("outbox pass failed")
            sent = 0
        if sent == 0:
            waker = asyncio.ensure_future(wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waker, stopper}, timeout=idle_poll, return_when=asyncio.FIRST_COMPLETED)
            waker.cancel()
            stopper.cancel()
    try:
        await asyncio.wait_for(drain_once(), timeout=SHUTDOWN_PASS_SECONDS)
    except Exception:  # a timeout included: what is left goes at the next start
        log.warning("outbox not fully drained at shutdown; the rest goes at the next start")
