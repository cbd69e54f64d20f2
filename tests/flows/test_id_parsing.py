"""Tests for flows.parsing's ID numbers (居民身份证号码): every accepted form, every error, ages, properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from flows.parsing import (
    IdNumber,
    ParseError,
    age_on,
    check_age_matches,
    parse_id_number,
)
from flows.private import Private
from id_numbers import as_read, grouped
from tests.flows.parsing_helpers import (
    ID_WITH_X,
    REGIONS,
    TODAY,
    VALID_ID,
    error_of,
    make_id,
    to_full_width,
)

# ---------------------------------------------------------------- ID numbers


def test_region_codes_valid_in_every_year() -> None:
    for region in REGIONS:
        for year in (1920, 1960, 2000, TODAY.year):
            assert ric.is_valid(make_id(region, date(year, 1, 1), 1))


@pytest.mark.parametrize(
    "text",
    [
        VALID_ID,
        f"{VALID_ID[:6]} {VALID_ID[6:14]} {VALID_ID[14:]}",
        f"{VALID_ID[:6]}-{VALID_ID[6:14]}-{VALID_ID[14:]}",
        f"  {VALID_ID}  ",
        to_full_width(VALID_ID),
    ],
)
def test_id_accepted(text: str) -> None:
    parsed = parse_id_number(text, today=TODAY)
    assert parsed == IdNumber(number=VALID_ID, birth_date=date(1990, 3, 7))
    assert parsed.age_on(TODAY) == 35


@pytest.mark.parametrize(
    "text", [ID_WITH_X, ID_WITH_X.lower(), to_full_width(ID_WITH_X.lower()), to_full_width(ID_WITH_X)]
)
def test_id_x_check_digit(text: str) -> None:
    assert parse_id_number(text, today=TODAY).number == ID_WITH_X


def test_id_region_created_after_birth_is_accepted() -> None:
    # 440106 (Tianhe) dates from 1985 and stdnum's validate() rejects it for a 1960 birth,
    # but residents registered after 1985 carry it whatever their birth year.
    number = make_id("440106", date(1960, 1, 1), 123)
    assert not ric.is_valid(number)
    assert parse_id_number(number, today=TODAY).birth_date == date(1960, 1, 1)


def _with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "id.length"),
        (VALID_ID[:17], "id.length"),
        (VALID_ID + "1", "id.length"),
        ("110101900307123", "id.length"),  # old 15-digit form
        ("x" * 500, "id.length"),
        (VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1"), "id.checksum"),
        (VALID_ID[:5] + "2" + VALID_ID[6:], "id.checksum"),
        ("11010119900307123A", "id.invalid"),
        ("1101011990030712X3", "id.invalid"),
        ("11010119900307一二三4", "id.invalid"),
        (_with_check_digit("11010119900230123"), "id.birth_date"),  # 30 February
        (_with_check_digit("11010119901301123"), "id.birth_date"),  # month 13
        (_with_check_digit("11010120250602123"), "id.birth_date"),  # the day after TODAY
        (_with_check_digit("11010118800101123"), "id.birth_date"),  # 145 years old
    ],
)
def test_id_errors(text: str, code: str) -> None:
    err = error_of(lambda: parse_id_number(text, today=TODAY))
    assert err.code == code
    shown_only_privately(err, text)
    # stdnum's exception is not chained (nor shown in tracebacks) with the error.
    assert err.__cause__ is None
    assert err.__context__ is None or err.__suppress_context__


def shown_only_privately(err: ParseError, text: str) -> None:
    """The error shows what was typed, grouped, only as a private parameter: whatever formats or
    logs the error without knowing sees it masked."""
    if not as_read(text) or len(as_read(text)) > 24:  # nothing, or no attempt at a number: not shown
        assert err.params == {}
        return
    typed = err.params["typed"]
    assert isinstance(typed, Private) and typed.value == grouped(as_read(text))
    body = as_read(text)[3:14]  # what the masked form hides
    for seen in (repr(err), repr(err.params), str({k: str(v) for k, v in err.params.items()})):
        assert body not in seen.replace(" ", "")


@pytest.mark.parametrize(
    ("text", "code", "extra"),
    [
        ("110105 19650312 123", "id.length", {"count": 17}),
        (_with_check_digit("11010519651312123"), "id.birth_date", {"birth": "19651312"}),
        ("1101051965031212三4", "id.invalid", {"position": 17, "char": "三"}),
        ("110105196503121230", "id.checksum", {}),
    ],
)
def test_an_id_error_says_where_it_fails(text: str, code: str, extra: dict[str, object]) -> None:
    err = error_of(lambda: parse_id_number(text, today=TODAY))
    assert err.code == code
    assert err.params["typed"].value == grouped(as_read(text))  # type: ignore[attr-defined]
    for key, value in extra.items():
        shown = err.params[key]
        assert (shown.value if isinstance(shown, Private) else shown) == value


def test_what_is_no_attempt_at_an_id_number_is_not_shown_back() -> None:
    assert error_of(lambda: parse_id_number("我不知道身份证号码在哪里，要去找一下" * 2, today=TODAY)).params == {}


def test_id_birth_today_is_accepted() -> None:
    number = _with_check_digit(f"110101{TODAY:%Y%m%d}123")
    assert parse_id_number(number, today=TODAY).age_on(TODAY) == 0


def test_id_repr_hides_number() -> None:
    assert VALID_ID not in repr(parse_id_number(VALID_ID, today=TODAY))


def test_check_age_matches() -> None:
    parsed = parse_id_number(VALID_ID, today=TODAY)  # born 1990-03-07: 35 on TODAY
    check_age_matches(parsed, 35, TODAY)
    for wrong in (34, 36):
        err = error_of(lambda wrong=wrong: check_age_matches(parsed, wrong, TODAY))
        assert err.code == "id.age_mismatch"
        assert err.params == {"age_from_id": 35}
    # The day before the birthday the holder is still one year younger.
    check_age_matches(parsed, 34, date(2025, 3, 6))
    check_age_matches(parsed, 35, date(2025, 3, 7))


@pytest.mark.parametrize(
    ("birth", "day", "expected"),
    [
        (date(1990, 3, 7), date(2025, 3, 6), 34),
        (date(1990, 3, 7), date(2025, 3, 7), 35),
        (date(1990, 3, 7), date(1990, 3, 7), 0),
        (date(2000, 2, 29), date(2001, 2, 28), 0),  # a leap-day birthday counts from 1 March
        (date(2000, 2, 29), date(2001, 3, 1), 1),
        (date(2000, 2, 29), date(2004, 2, 29), 4),
    ],
)
def test_age_on(birth: date, day: date, expected: int) -> None:
    assert age_on(birth, day) == expected


def test_age_on_before_birth_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        age_on(date(2000, 1, 2), date(2000, 1, 1))




@st.composite
def id_numbers(draw: st.DrawFn) -> tuple[str, date]:
    """A valid ID number and its birth date."""
    region = draw(st.sampled_from(REGIONS))
    birth = draw(st.dates(min_value=date(1920, 1, 1), max_value=TODAY))
    sequence = draw(st.integers(min_value=0, max_value=999))
    return make_id(region, birth, sequence), birth


def _spaced(number: str) -> str:
    return f"{number[:6]} {number[6:14]} {number[14:]}"


@settings(max_examples=300)
@given(generated=id_numbers())
def test_generated_ids_accepted_in_every_form(generated: tuple[str, date]) -> None:
    number, birth = generated
    forms = {number, _spaced(number), number.lower(), to_full_width(number),
             to_full_width(_spaced(number.lower()))}
    for text in forms:
        parsed = parse_id_number(text, today=TODAY)
        assert parsed.number == number
        assert parsed.birth_date == birth
        assert parsed.age_on(TODAY) == age_on(birth, TODAY)
        check_age_matches(parsed, age_on(birth, TODAY), TODAY)


@settings(max_examples=300)
@given(
    generated=id_numbers(),
    position=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_one_changed_body_digit_is_rejected(
    generated: tuple[str, date], position: int, delta: int
) -> None:
    number, _ = generated
    digit = str((int(number[position]) + delta) % 10)
    changed = number[:position] + digit + number[position + 1 :]
    err = error_of(lambda: parse_id_number(changed, today=TODAY))
    # MOD 11-2 catches every single-digit change, and the checksum is checked first.
    assert err.code == "id.checksum"
    shown_only_privately(err, changed)


@settings(max_examples=200)
@given(
    birth=st.dates(min_value=date(1905, 1, 1), max_value=TODAY),
    day=st.dates(min_value=date(1905, 1, 1), max_value=TODAY + timedelta(days=3650)),
)
def test_age_on_is_completed_years(birth: date, day: date) -> None:
    if day < birth:
        return
    years = age_on(birth, day)
    assert years >= 0
    # The last birthday passed is at or before ``day``; the next one is after it.
    def birthday(year: int) -> date:
        try:
            return birth.replace(year=year)
        except ValueError:  # 29 February in a common year
            return date(year, 3, 1)

    assert birthday(birth.year + years) <= day < birthday(birth.year + years + 1)
