"""Worker processes for the CPU-heavy parts of monitoring (reading feed rows, assessing households).

Python runs one thread of Python at a time, so on a machine of several cores a million-row
import or evaluation is faster when the database work stays in the process and the checking
and assessing go to other processes. Workers are spawned, not forked: the parent runs an event
loop and a database driver's threads, which a fork would copy in whatever state they are in.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def worth_starting(work: int, *, worth_from: int) -> int:
    """How many workers to start for ``work`` items: none below ``worth_from`` (starting one costs
    about half a second) or on a single core, else one per core."""
    return cores() if work >= worth_from and cores() > 1 else 0


class Workers:
    """A pool of spawned worker processes; calls return asyncio futures."""

    def __init__(self, processes: int, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = ()) -> None:
        self.processes = processes
        self._pool = ProcessPoolExecutor(
            max_workers=processes, mp_context=multiprocessing.get_context("spawn"),
            initializer=initializer, initargs=initargs,
        )

    def submit(self, function: Callable[..., T], *args: object) -> asyncio.Future[T]:
        return asyncio.wrap_future(self._pool.submit(function, *args))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def done(value: T) -> asyncio.Future[T]:
    """A future that already holds ``value`` (work done in the process)."""
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future
