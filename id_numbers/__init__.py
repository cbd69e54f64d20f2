"""Resident ID numbers (GB 11643, 18 characters), judged the same way everywhere.

The intake question, the application contract, the API and the department imports all
call :func:`check_id_number`, so a number one of them accepts none of the others refuses.

The check digit and the area-code table are python-stdnum's (``stdnum.cn.ric`` and its
``loc.dat``). Its ``validate`` is not used: it also refuses an area code created after
the holder's birth, yet codes are given at registration, so millions of older residents
carry codes younger than themselves (440305 Nanshan dates from 1990, 330102 Shangcheng
from 1983). Here an area code only has to appear in the table in some year.

Pure: no I/O at import; stdnum reads its table on first use. Errors never carry the number.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

from stdnum import numdb
from stdnum.cn import ric

__all__ = ["MAX_AGE", "BadIdNumber", "age_on", "as_read", "check_id_number", "grouped"]

# No one living is older; a birth date further back is a typo or an invented number.
MAX_AGE = 130

# Longer than any spacing of an ID number a person could plausibly type: bounds the work
# done on pasted junk.
_MAX_RAW = 64
# Separators people put in ID numbers; NFKC has already folded full-width forms.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—]")
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")

_REASONS = {
    "length": "not an ID number: 18 characters, 17 digits then a digit or X",
    "invalid": "not an ID number: 17 digits then a digit or X",
    "checksum": "bad check digit",
    "birth_date": "bad birth date in the ID number",
    "future": "the birth date in the ID number is in the future",
    "too_old": f"the birth date in the ID number gives an age over {MAX_AGE}",
    "region": "unknown area code in the ID number",
}


class BadIdNumber(ValueError):
    """Not a valid resident ID number: ``code`` says why (for messages), ``str()`` in English.

    Neither carries the number.
    """

    def __init__(self, code: str) -> None:
        super().__init__(_REASONS[code])
        self.code = code


def check_id_number(value: str, *, today: date | None) -> tuple[str, date]:
    """The ID number in canonical form (ASCII digits, upper-case X) and the birth date it carries.

    Full-width digits, spaces and hyphens are accepted and dropped.

    Args:
        value: the number as typed or as found in a file.
        today: the date the number is judged on (a birth after it, or more than
            :data:`MAX_AGE` years before it, is refused); ``None`` where only the number's
            own consistency can be judged (a stored record read back).

    Raises:
        BadIdNumber: wrong length or characters, check digit, birth date or area code.
    """
    if len(value) > _MAX_RAW:
        raise BadIdNumber("length")
    number = as_read(value)
    if len(number) != 18:
        raise BadIdNumber("length")
    if not _SHAPE.fullmatch(number):
        raise BadIdNumber("invalid")
    if number[17] != ric.calc_check_digit(number):
        raise BadIdNumber("checksum")
    born = _birth_date(number[6:14])
    if born is None:
        raise BadIdNumber("birth_date")
    if today is not None:
        # A check digit can be right by chance (1 in 11) or by construction; a birth after
        # today, or one older than anyone living, still cannot be a real person's.
        if born > today:
            raise BadIdNumber("future")
        if age_on(born, today) > MAX_AGE:
            raise BadIdNumber("too_old")
    if not known_area(number[:6]):
        raise BadIdNumber("region")
    return number, born


def as_read(value: str) -> str:
    """The characters of a typed number as the checks read them: full-width forms folded,
    spaces and hyphens dropped, x upper-cased."""
    if not value.isascii():
        # Full-width digits (１２３) come from Chinese input methods; the number is the same.
        value = unicodedata.normalize("NFKC", value)
    return _SEPARATORS.sub("", value).upper()


def grouped(number: str) -> str:
    """Spaced for reading against the card: area code, birth date, then the rest
    (``110105 19650312 1239``)."""
    return " ".join(part for part in (number[:6], number[6:14], number[14:]) if part)


def age_on(born: date, day: date) -> int:
    """Whole years from ``born`` to ``day`` (someone born on 29 February ages on 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@lru_cache(maxsize=65536)
def known_area(code: str) -> bool:
    """Whether the six-digit area ``code`` appears in stdnum's table in any year.

    The table names the years a county code was in use (``[1983-]上城区``); any of them
    will do, because a code is given at registration, whenever the holder was born.
    """
    found = {key: value for _, props in numdb.get("cn/loc").info(code) for key, value in props.items()}
    return bool(found.get("county"))


# Department files bring a million numbers at a time; birth dates repeat.
@lru_cache(maxsize=65536)
def _birth_date(digits: str) -> date | None:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None
