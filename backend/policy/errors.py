"""The one error a policy pack raises when it cannot be used."""

from __future__ import annotations


class PackError(ValueError):
    """A policy pack file is missing something or contradicts itself; the message names file and key."""


def pack_error(path: object, key: str, message: str) -> PackError:
    """A PackError in the one format every loader uses: ``<file>: <key>: <what is wrong>``."""
    return PackError(f"{path}: {key}: {message}")


class UnknownRegion(ValueError):
    """A household names a district or street office the pack does not have."""
