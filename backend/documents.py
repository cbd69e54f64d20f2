"""Byte storage for uploaded documents on the local filesystem, and what an upload may be.

Residents send documents from every channel (web chat, Telegram, the terminal); all of them are
stored through ``FileDocumentStorage.save``, which is therefore where their content is checked:
photos (JPEG, PNG, WebP, and HEIC, which is what iPhones take) and PDF, recognised by their
signatures (magic bytes), never by the file's name or the type its sender declared. Anything
else, and an empty file, is refused before a byte is written.

The signatures are a small table rather than a library: the five formats are fixed by their own
specifications, the answer must be yes or no for an allow-list (a library such as ``puremagic``
ranks guesses over hundreds of formats and can weigh the file name; ``filetype`` has not been
released since 2022), and nothing here decodes an image, so Pillow is not needed either.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from enum import StrEnum
from pathlib import Path
from uuid import uuid4

# Keys are generated here; anything else (e.g. "../x") is refused before touching the disk.
_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}$")

JPEG, PNG, WEBP, HEIC, PDF = "image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf"
ACCEPTED = (JPEG, PNG, WEBP, HEIC, PDF)
# What a browser's file chooser offers (the web chat's ``accept`` attribute): types and extensions,
# since some phones know a HEIC photo only by its extension.
ACCEPT_ATTRIBUTE = ",".join((*ACCEPTED, "image/heif", ".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".pdf"))

# HEIF brands of HEVC-coded images (ISO/IEC 23008-12): "mif1" alone is any HEIF, AVIF included.
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})


class Refusal(StrEnum):
    EMPTY = "empty"
    NOT_ACCEPTED = "not_accepted"


class DocumentRefused(ValueError):
    """An upload that is empty or none of the accepted types; nothing was stored."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(f"document refused: {refusal}")
        self.refusal = refusal

    @property
    def key(self) -> str:
        """The message that tells the resident why, and what is accepted."""
        return f"uploads.{self.refusal}"


def content_type(data: bytes) -> str | None:
    """The accepted type these bytes are, by their signature; None when they are none of them."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    if data[4:8] == b"ftyp" and _heic_brands(data):
        return HEIC
    return None


def _heic_brands(data: bytes) -> bool:
    """Whether the ISO base media ``ftyp`` box at the start names a HEIC brand (major or compatible)."""
    size = int.from_bytes(data[:4], "big")
    if not 16 <= size <= min(len(data), 4096) or size % 4:
        return False
    brands = {data[8:12]} | {data[i:i + 4] for i in range(16, size, 4)}
    return bool(brands & _HEIC_BRANDS)


def check(data: bytes) -> str:
    """The type of an upload that may be kept.

    Raises:
        DocumentRefused: empty, or none of the accepted types.
    """
    if not data:
        raise DocumentRefused(Refusal.EMPTY)
    found = content_type(data)
    if found is None:
        raise DocumentRefused(Refusal.NOT_ACCEPTED)
    return found


class FileDocumentStorage:
    """Documents as files under ``root``, one random key per upload."""

    def __init__(self, root: Path) -> None:
        self._root = Path(root)

    def save(self, data: bytes) -> tuple[str, str, str]:
        """Store a resident's upload and return ``(storage_key, sha256 hex, content type)``, the type
        being what its bytes are, not what the sender declared.

        Raises:
            DocumentRefused: empty, or not a photo or PDF by its content; nothing is written.
        """
        found = check(data)
        return (*self.keep(data), found)

    def keep(self, data: bytes) -> tuple[str, str]:
        """Store bytes the system made itself (a certificate), unchecked: ``(storage_key, sha256 hex)``."""
        # A random key, not the hash: two uploads of the same bytes must be deletable separately.
        name = uuid4().hex
        key = f"{name[:2]}/{name}"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash never leaves a truncated document under a valid key.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key, hashlib.sha256(data).hexdigest()

    def open(self, key: str) -> bytes:
        """The stored bytes; FileNotFoundError if they are gone."""
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        """Remove the bytes; deleting twice is fine."""
        self._path(key).unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        """The file behind a well-formed key."""
        if not _KEY.match(key):
            raise ValueError("malformed storage key")
        return self._root / key
