"""The notification dispatcher as the worker builds it, and a wait for what it delivers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from backend.db.database import Database
from backend.documents import FileDocumentStorage
from backend.quiet_hours import QuietHours
from bot.dispatch import NotificationDispatcher
from locales import Translations

# Quiet hours from midnight to midnight never begin: everything is sent at once.
NEVER_QUIET = "00:00-00:00"


def dispatcher(database: Database, clock: Callable[[], datetime], storage: FileDocumentStorage | None = None, *,
               quiet: str = NEVER_QUIET, batch: int = 200) -> NotificationDispatcher:
    return NotificationDispatcher(
        database,
        translations=Translations(),
        html_translations=Translations(html=True),
        quiet=QuietHours.parse(quiet, "Asia/Shanghai"),
        clock=clock,
        batch=batch,
        storage=storage,
    )


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")
