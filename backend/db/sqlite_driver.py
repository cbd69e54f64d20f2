"""SQLite through aiosqlite, with the statements that cannot wait run on the event loop's thread.

aiosqlite runs every call on a thread of its own and hands the result back through the event
loop: a queue, a wake-up of the loop, a future. SQLAlchemy makes four such calls per statement
(cursor, execute, fetch, close), and a resident's turn makes about fifty. Handing them over
cost the Telegram bot more than half of its CPU, where SQLite answers a turn's statements in
tens of microseconds.

So a call runs on the loop's own thread unless it may have to wait. Calls inside a
transaction never wait: every unit of work begins IMMEDIATE and so holds SQLite's write lock
(see ``database._begin``), and in WAL mode readers wait for nobody. Nor do calls that run no
SQL. ``BEGIN`` waits only while another process holds the write lock (units of work of this
process take turns before they begin): it is tried at once, without waiting, and only when the
lock is taken does it go to the driver's thread to wait there for up to the busy timeout. Other
statements outside a transaction (the connection's PRAGMAs) go to the driver's thread too.
Even one hand-over per unit of work costs a busy bot a third of its throughput: the driver's
thread has to win the interpreter lock from the loop's.

A bulk unit of work (importing, matching or evaluating feeds) keeps all of its calls on the
driver's thread, so that its long statements never stall the loop that serves residents.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial

import aiosqlite

# The calls that run SQL, on a sqlite3 connection or cursor.
_SQL_CALLS = frozenset({"execute", "executemany", "executescript"})
_BUSY = object()


class LoopConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run on the event loop's thread unless they may wait.

    Args:
        busy_timeout: how long, in seconds, a call on the driver's thread waits for a lock.
    """

    def __init__(self, connector: Callable[[], sqlite3.Connection], busy_timeout: float) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._busy_ms = round(busy_timeout * 1000)
        # A bulk unit of work's calls all go to the driver's thread (see the module's doc).
        self.bulk = False

    async def _execute(self, fn: Callable[..., object], *args: object, **kwargs: object) -> object:
        connection = self._connection
        if connection is not None and self._running and not self.bulk:
            if connection.in_transaction or getattr(fn, "__name__", "") not in _SQL_CALLS:
                return fn(*args, **kwargs)
            if args and isinstance(args[0], str) and args[0].startswith("BEGIN"):
                begun = self._begin_at_once(connection, fn, *args, **kwargs)
                if begun is not _BUSY:
                    return begun
        # aiosqlite's _execute (private; the version is pinned for it) carries no annotations.
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    def _begin_at_once(self, connection: sqlite3.Connection, fn: Callable[..., object], *args: object, **kwargs: object
                       ) -> object:
        """Begin without waiting for the lock: the call's result, or _BUSY while another holds it."""
        connection.execute("PRAGMA busy_timeout = 0")
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:  # the primary code of BUSY_RECOVERY, say
                raise
            return _BUSY
        finally:
            connection.execute(f"PRAGMA busy_timeout = {self._busy_ms}")


def connect(database: str, *, timeout: float, **kwargs: object) -> LoopConnection:
    """A connection to open (await it), with ``sqlite3.connect``'s arguments; ``timeout``: the
    busy timeout in seconds."""
    connection = LoopConnection(partial(sqlite3.connect, database, timeout=timeout, **kwargs), timeout)
    # As SQLAlchemy does for aiosqlite: a connection the pool never closed must not keep the
    # process alive at exit.
    connection._thread.daemon = True
    return connection
