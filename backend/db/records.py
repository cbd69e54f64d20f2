"""Port values read from rows whose columns are named like the value's fields.

A record is defined three times (API schema, port dataclass, table); reading a row into its
dataclass field by field would name each field a fourth time. ``record_of`` names none: it reads
each dataclass field from the row's attribute of the same name, and takes explicitly only the
fields whose stored form differs (a status stored as text and read as its enum, a list read as a
tuple, a value computed by the query).
"""

from __future__ import annotations

from dataclasses import fields
from functools import cache
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Column, Table

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


@cache
def _field_names(cls: type[DataclassInstance]) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls) if f.init)


def columns_for(cls: type[DataclassInstance], table: Table, *, skip: tuple[str, ...] = ()
                ) -> tuple[Column[object], ...]:
    """The table's columns named like the fields of ``cls`` (but ``skip``), in their order: a SELECT of
    what a record reads."""
    return tuple(table.c[f.name] for f in fields(cls) if f.init and f.name not in skip)


def values_of(record: DataclassInstance) -> dict[str, object]:
    """The column values of a record whose fields are named like the columns: ``record_of`` reversed.

    Field by field, not ``dataclasses.asdict``: that would deep-copy every nested dict and list."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


def record_of(cls: type[R], row: object, /, **differing: object) -> R:
    """The ``cls`` whose fields are the row's attributes of the same names.

    Args:
        cls: a dataclass.
        row: an ORM row or a selected ``Row``: anything with an attribute per field.
        differing: the value of each field whose column does not hold it as it is (not read
            from the row); a name that is not a field of ``cls`` is an error.
    """
    names = _field_names(cls)
    unknown = differing.keys() - names
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
    values = {name: getattr(row, name) for name in names - differing.keys()}
    return cls(**values, **differing)
