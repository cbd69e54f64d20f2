"""Blocks of a registry file's lines checked, built and assessed in worker processes.

A worker reads a block on its own, knowing nothing of the rows before it, so it fully handles
only the households that start and end inside the block, and sends the first and the last
household's rows back as they were read: those may continue across the block's edges. The
importing process then reads the blocks in the file's order with the one :class:`Grouper`
that knows every household code and ID number met so far (see :func:`merge`): a household of
a worker is taken as it is when none of its ID numbers was listed before and its code was not
used before; otherwise the block is read again in the process from that household on, so that
the outcome is the one of reading the whole file in one process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from backend.monitoring.registry_rows import Built, Draft, Grouper, build, parse_person
from backend.monitoring.rows import Lines, RowError
from backend.monitoring.vault import IdVault
from backend.policy.pack import Pack, load_pack

if TYPE_CHECKING:
    from backend.crypto import IdHasher

Row = tuple[int, Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class Unit:
    """A household a worker read whole: its code, first line, the ID numbers it took (see
    :func:`~backend.monitoring.registry_rows.id_key`) and, when it has a head, its records."""

    code: str
    first_line: int
    keys: list[int]
    built: Built | None


@dataclass(frozen=True, slots=True)
class Block:
    """What a worker made of a block: its edges' rows as read, and the households between."""

    head: list[Row]  # the rows of the block's first household, and the refused rows among them
    units: list[Unit]
    errors: list[RowError]  # the rows refused between the edges
    tail: list[Row]  # the rows of the block's last household, and the refused rows among them
    tail_code: str | None  # the code of that household
    read: int


_context: tuple[Pack, Mapping[str, str], date, IdHasher, IdVault] | None = None


def start(pack_name: str, root: str, offices: Mapping[str, str], day: date, hasher: IdHasher, vault: IdVault
          ) -> None:
    """A worker's initializer: the pack is loaded from its directory, once."""
    global _context
    _context = (load_pack(pack_name, Path(root)), offices, day, hasher, vault)


def ready() -> None:
    """A worker's first task, so that it starts (and loads the pack) before there is work for it."""


def prepare(lines: Lines) -> Block:
    """Check, group, build and assess the households of a block of lines (in a worker)."""
    assert _context is not None, "the worker's initializer loads the pack"
    pack, offices, day, hasher, vault = _context
    rows = list(lines.rows())
    parsed = [parse_person(fields, line, offices, day) for line, fields in rows]
    codes = [None if isinstance(p, RowError) else p[1] for p in parsed]
    valid = [index for index, code in enumerate(codes) if code is not None]
    if not valid:
        return Block(rows, [], [], [], None, len(rows))
    first, last = codes[valid[0]], codes[valid[-1]]
    # The middle starts at the first row of another household than the first one, and ends
    # after the last row of another household than the last one.
    begin = next((index for index in valid if codes[index] != first), len(rows))
    end = next((index + 1 for index in reversed(valid) if codes[index] != last), 0)
    if begin >= end:
        return Block(rows, [], [], [], None, len(rows))
    grouper = Grouper(offices, day)
    for index in range(begin, end):
        line, fields = rows[index]
        grouper.add_parsed(line, fields, parsed[index])
    grouper.close()
    units = [
        Unit(d.code, d.first_line, d.keys, build(d, day, pack, hasher, vault) if d.complete else None)
        for d in grouper.take()
    ]
    return Block(rows[:begin], units, grouper.errors, rows[end:], last, len(rows))


def merge(block: Block, lines: Lines, grouper: Grouper, ready: list[Draft | Built]) -> None:
    """Read ``block`` (made of ``lines``) into ``grouper`` after the blocks before it; the
    households it finishes go to ``ready`` in the file's order (to be built where a draft)."""
    for line, fields in block.head:
        grouper.add(line, fields)
    collect(grouper, ready)
    units = block.units
    again = _first_wrong(block, grouper)
    for unit in units[:again]:
        grouper.close()
        collect(grouper, ready)
        grouper.done.add(unit.code)
        grouper.seen.update(unit.keys)
        if unit.built is not None:
            ready.append(unit.built)
    if again is None:
        grouper.errors.extend(block.errors)
        rows: Iterable[Row] = block.tail
    else:
        # The worker could not know the codes and numbers of the blocks before: the rest of the
        # block is read again here, as if no worker had seen it.
        first_line = units[again].first_line
        grouper.errors.extend(error for error in block.errors if error.line < first_line)
        rows = (row for row in lines.rows() if row[0] >= first_line)
    for line, fields in rows:
        grouper.add(line, fields)
    collect(grouper, ready)


def _first_wrong(block: Block, grouper: Grouper) -> int | None:
    """The first of the block's households that the worker may have read otherwise than one
    process reading the whole file; None when it read them all right.

    A household's rows end where another household's start, unless that one's code was used
    before: its row is then refused, and the household goes on. A household one of whose
    numbers was listed before keeps fewer persons than the worker gave it.
    """
    # The households over before the one checked: the open one is, once the block's first starts.
    done: set[str] = set()
    if grouper.draft is not None:
        done.add(grouper.draft.code)
    seen: set[int] = set()
    for index, unit in enumerate(block.units):
        if unit.code in grouper.done or unit.code in done:
            return max(index - 1, 0)  # the household before goes on past this row
        if not grouper.seen.isdisjoint(unit.keys) or not seen.isdisjoint(unit.keys):
            return index
        done.add(unit.code)
        seen.update(unit.keys)
    if block.tail_code is not None and (block.tail_code in grouper.done or block.tail_code in done):
        return len(block.units) - 1
    return None


def collect(grouper: Grouper, ready: list[Draft | Built]) -> None:
    """The households ``grouper`` finished that have a head go to ``ready``."""
    ready.extend(draft for draft in grouper.take() if draft.complete)
