"""JSON from outside (a request body, a pushed feed, a file), refused before a model sees it when it
is bigger, deeper or stranger than any contract of ours needs.

Python's ``json`` alone would raise ``RecursionError`` on deep nesting, ``ValueError`` on an
integer of more than 4300 digits, and accept ``NaN``, lone surrogates and NUL characters that the
database then refuses; each of these is a :class:`JsonRefused` here, naming the field when it can.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import NoReturn

# The largest body any endpoint needs: an application is a few KB; a department's push of a few
# thousand rows stays below it.
MAX_BYTES = 2 * 1024 * 1024
# The application is the deepest contract (application.members.0.age: four levels); a push is two.
MAX_DEPTH = 16
# Far beyond any amount's digits, far below the size where parsing a number gets slow; a longer
# number is refused here, a shorter but too large one by the field's bounds (which name the field).
MAX_NUMBER_CHARS = 400


class JsonRefused(ValueError):
    """Input that is not JSON we take; ``field`` names where, when known."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _number(kind: Callable[[str], object]) -> Callable[[str], object]:
    def parse(text: str) -> object:
        if len(text) > MAX_NUMBER_CHARS:
            raise JsonRefused(f"a number of more than {MAX_NUMBER_CHARS} characters")
        return kind(text)

    return parse


def _constant(name: str) -> NoReturn:
    raise JsonRefused(f"{name} is not a JSON number")


def parse(raw: bytes | str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH, exact: bool = False) -> object:
    """The JSON value of ``raw``; with ``exact``, numbers with a fraction or exponent are ``Decimal``.

    Raises:
        JsonRefused: too big, not UTF-8, not JSON, nested deeper than ``max_depth``, a number too
            long, NaN or Infinity, or a string holding NUL or a lone surrogate.
    """
    if len(raw) > max_bytes:
        raise JsonRefused(f"larger than {max_bytes} bytes")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise JsonRefused(f"not UTF-8 (byte {error.start})") from None
    try:
        value = json.loads(raw, parse_int=_number(int), parse_float=_number(Decimal if exact else float),
                           parse_constant=_constant)
    except json.JSONDecodeError as error:
        raise JsonRefused(f"not valid JSON: {error.msg} at position {error.pos}") from None
    except RecursionError:
        raise JsonRefused(f"nested deeper than {max_depth} levels") from None
    _check(value, max_depth)
    return value


def _check(value: object, max_depth: int) -> None:
    """Walk the value without recursion: its depth, and strings the database cannot store."""
    stack: list[tuple[object, tuple[str, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if len(path) > max_depth:
            raise JsonRefused(f"nested deeper than {max_depth} levels", ".".join(path[:max_depth]))
        if isinstance(item, str):
            _text(item, path)
        elif isinstance(item, dict):
            for key, child in item.items():
                _text(key, path)
                stack.append((child, (*path, key)))
        elif isinstance(item, list):
            stack.extend((child, (*path, str(index))) for index, child in enumerate(item))


def _text(text: str, path: tuple[str, ...]) -> None:
    field = ".".join(path) or "(body)"
    if "\x00" in text:
        raise JsonRefused(f"{field}: NUL characters are not allowed", field)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonRefused(f"{field}: a lone surrogate (\\ud800-\\udfff) is not text", field) from None
