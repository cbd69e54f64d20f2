"""File storage of document bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from backend.documents import FileDocumentStorage


def test_save_open_delete(tmp_path: Path) -> None:
    storage = FileDocumentStorage(tmp_path / "docs")
    key, digest = storage.save(b"%PDF-1.7 scan")
    assert digest == hashlib.sha256(b"%PDF-1.7 scan").hexdigest()
    assert storage.open(key) == b"%PDF-1.7 scan"
    storage.delete(key)
    storage.delete(key)
    with pytest.raises(FileNotFoundError):
        storage.open(key)


def test_same_bytes_get_separate_keys(tmp_path: Path) -> None:
    storage = FileDocumentStorage(tmp_path)
    first, _ = storage.save(b"same")
    second, _ = storage.save(b"same")
    assert first != second
    storage.delete(first)
    assert storage.open(second) == b"same"


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "ab/../../x", ""])
def test_malformed_keys_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError):
        FileDocumentStorage(tmp_path).open(key)
