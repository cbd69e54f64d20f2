"""Byte storage for uploaded documents on the local filesystem."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from uuid import uuid4

# Keys are generated here; anything else (e.g. "../x") is refused before touching the disk.
_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}$")


class FileDocumentStorage:
    """Documents as files under ``root``, one random key per upload."""

    def __init__(self, root: Path) -> None:
        self._root = Path(root)

    def save(self, data: bytes) -> tuple[str, str]:
        """Store ``data`` and return ``(storage_key, sha256 hex)``."""
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
