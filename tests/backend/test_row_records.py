"""Rows read into port values by field name: what is read, what is given, what is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import pytest

from backend.cases.ports import Offer
from backend.db.models import OfferRow
from backend.db.records import record_of


class Colour(StrEnum):
    RED = "red"


@dataclass(frozen=True)
class Paint:
    id: int
    colour: Colour
    tags: tuple[str, ...]


@dataclass
class _Row:
    id: int
    colour: str
    tags: list[str]
    extra: str = "not a field of Paint"


def test_fields_are_read_by_name_and_extra_columns_ignored() -> None:
    paint = record_of(Paint, _Row(1, "red", ["a"]), colour=Colour.RED, tags=("a",))
    assert paint == Paint(1, Colour.RED, ("a",))
    assert type(paint.colour) is Colour


def test_a_given_value_is_not_read_from_the_row() -> None:
    class NoColour:
        id = 2
        tags = ("b",)

    assert record_of(Paint, NoColour(), colour=Colour.RED) == Paint(2, Colour.RED, ("b",))


def test_a_field_the_row_lacks_is_an_error() -> None:
    class NoTags:
        id = 3
        colour = "red"

    with pytest.raises(AttributeError, match="tags"):
        record_of(Paint, NoTags())


def test_a_given_name_that_is_no_field_is_an_error() -> None:
    with pytest.raises(TypeError, match="no field colur"):
        record_of(Paint, _Row(1, "red", []), colur=Colour.RED)


def test_an_orm_row_reads_into_its_port_value() -> None:
    at = datetime(2024, 5, 1, tzinfo=UTC)
    row = OfferRow(id=7, resident_id="r", application_number=None, kind="project", ref="p1", status="offered",
                   created_at=at, answered_at=None)
    assert record_of(Offer, row) == Offer(7, "r", None, "project", "p1", "offered", at, None)
