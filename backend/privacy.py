"""Showing personal data only as far as the reader needs it."""

from __future__ import annotations


def mask_id_number(id_number: str) -> str:
    """Keep the issuing region (6) and the last 4 characters; hide the birth date and serial."""
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]
