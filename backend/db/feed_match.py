"""PostgreSQL's match of a chunk of department rows to the registry: one statement, one round trip.

The rows come as one array per column (no staging table to create, fill and empty), each is
looked up once in the persons' hash index, and the statement returns both how many events it
inserted and the lines of the rows of no registry person. SQLite stages the chunk in a
temporary table instead (backend.db.registry).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Date, Integer, Numeric, String, bindparam, cast, column, func, literal, select, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import ColumnElement, Executable

from backend.db.models import FeedEventRow, RegistryPersonRow, UTCDateTime
from backend.monitoring.registry_ports import StagedRow

_EVENTS = FeedEventRow.__table__
_PERSONS = RegistryPersonRow.__table__
EVENT_COLUMNS = (
    "source", "record_id", "person_id", "household_id", "kind", "occurred_on", "amount", "grade", "detail",
    "imported_at",
)

_LINE_BREAK = "\n"
_ARRAY_COLUMNS = (
    ("lines", Integer), ("record_ids", String), ("id_hashes", String), ("kinds", String), ("dates", Date),
    ("amounts", Numeric(12, 2)), ("grades", Integer),
)
_MAY_BE_NULL = frozenset({"amounts", "grades"})


def _column_array(name: str, type_: Any) -> ColumnElement[Any]:
    """A column of the chunk, sent as its values one per line and split by the server: the driver
    would check and encode each element of an array parameter in Python, a third of a second per
    chunk. No staged value holds a line break (a record id is printable ASCII without spaces);
    an empty line is NULL where a value may be missing."""
    text_ = bindparam(name, type_=String())
    split = (func.string_to_array(text_, _LINE_BREAK, "") if name in _MAY_BE_NULL
             else func.string_to_array(text_, _LINE_BREAK))
    return cast(split, ARRAY(type_))


def _lines_of(values: Iterable[object]) -> str:
    return _LINE_BREAK.join("" if v is None else str(v) for v in values)


def _match_arrays() -> Executable:
    """The statement, built once: (events inserted, lines of no registry person)."""
    staged = func.unnest(*(_column_array(name, type_) for name, type_ in _ARRAY_COLUMNS)).table_valued(
        column("line", Integer), column("record_id", String), column("id_hash", String), column("kind", String),
        column("occurred_on", Date), column("amount", Numeric(12, 2)), column("grade", Integer), name="s",
    ).render_derived()
    person = _PERSONS.alias("p")
    # One look-up in the persons' hash index per row, the rows in the index's order. As a plain
    # join, a million persons against a chunk's 25,000 rows costs the planner less as a hash join,
    # which reads every person for every chunk; the LIMIT keeps the look-up a look-up.
    found = (
        select(person.c.id, person.c.household_id)
        .where(person.c.id_hash == staged.c.id_hash)
        .limit(1)
        .lateral("found")
    )
    matched = (
        select(*staged.c, found.c.id.label("person_id"), found.c.household_id)
        .select_from(staged.outerjoin(found, true()))
        .cte("matched")
    )
    rows = (
        select(
            bindparam("source", type_=String(24)), matched.c.record_id, matched.c.person_id, matched.c.household_id,
            matched.c.kind, matched.c.occurred_on, matched.c.amount, matched.c.grade,
            literal({}, _EVENTS.c.detail.type), bindparam("now", type_=UTCDateTime()),
        )
        .where(matched.c.person_id.is_not(None))
        # In the order of the events' indexes, as on SQLite; a person's events in the file's order.
        .order_by(matched.c.household_id, matched.c.person_id, matched.c.line)
    )
    inserted = (
        postgresql.insert(_EVENTS)
        .from_select([_EVENTS.c[name] for name in EVENT_COLUMNS], rows)
        .on_conflict_do_nothing(index_elements=["source", "record_id"])
        .returning(_EVENTS.c.id)
        .cte("inserted")
    )
    return select(
        select(func.count()).select_from(inserted).scalar_subquery(),
        select(func.array_agg(aggregate_order_by(matched.c.line, matched.c.line)))
        .where(matched.c.person_id.is_(None))
        .scalar_subquery(),
    )


_MATCH_ARRAYS = _match_arrays()


async def match_chunk(connection: AsyncConnection, source: str, rows: Sequence[StagedRow], *,
                      now: datetime) -> tuple[int, list[int]]:
    """Turn the ``rows`` of registry persons into events of ``source`` (once per record); how many
    were inserted, and the lines of the rows of no registry person, in order.

    Raises:
        ValueError: a record id holds a line break (parsed rows never do).
    """
    if not rows:
        return 0, []
    lines, record_ids, id_hashes, kinds, dates, amounts, grades = zip(*rows, strict=True)
    if any(_LINE_BREAK in r for r in record_ids):
        raise ValueError("a record id holds a line break")
    values = {
        "lines": _LINE_BREAK.join(map(str, lines)), "record_ids": _LINE_BREAK.join(record_ids),
        "id_hashes": _LINE_BREAK.join(id_hashes), "kinds": _LINE_BREAK.join(kinds), "dates": _LINE_BREAK.join(dates),
        "amounts": _lines_of(amounts), "grades": _lines_of(grades),
    }
    result = await connection.execute(_MATCH_ARRAYS, {**values, "source": source, "now": now})
    inserted, unmatched = result.one()
    return int(inserted), list(unmatched or ())
