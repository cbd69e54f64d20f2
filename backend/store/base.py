"""What a service needs of a database: a unit of work, opened per use, with the repositories it names."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol, Self, TypeVar


class Transaction(Protocol):
    """A unit of work: its repositories share one transaction, committed together or not at all.

    Each service names the repositories it uses in a protocol of its own that extends this one;
    ``backend.ports.UnitOfWork`` names them all.
    """

    async def commit(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None:
        """Roll back whatever was not committed."""


UnitOfWorkT_co = TypeVar("UnitOfWorkT_co", bound=Transaction, covariant=True)


class Presence(Protocol):
    """A process's name, held while the process lives (see ``Store.presence``); true while held."""

    def __bool__(self) -> bool: ...

    async def confirm(self) -> bool:
        """Whether the name is still this process's. Held as long as the connection that took it
        lives: when that connection was lost (a restarted server, a dropped network), others saw
        this process as gone; the name is taken again if it is free, and False returned if not."""


class Store(Protocol[UnitOfWorkT_co]):
    """What a service needs of a database: a unit of work, opened per use.

    Args of ``unit_of_work``:
        references_kept: its writes only name rows that exist by construction, so the store may
            skip checking each foreign key (bulk feed matching).
        bulk: its statements are long, so the store may run them off the event loop.
    """

    def unit_of_work(self, *, references_kept: bool = False, bulk: bool = False) -> UnitOfWorkT_co: ...

    @property
    def shared(self) -> bool:
        """Whether several processes may write at once (a database server), rather than one (SQLite)."""

    def presence(self, name: str) -> AbstractAsyncContextManager[Presence]:
        """This process known to the others as ``name`` while the block runs; false when a live
        process already is (a database server). Always held where one process writes (SQLite)."""
