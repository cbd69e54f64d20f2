"""File storage of document bytes, and the content check every resident's upload passes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from backend.documents import (
    ACCEPTED,
    DocumentRefused,
    FileDocumentStorage,
    Refusal,
    check,
    content_type,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + bytes(4) + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + bytes(16)


def test_save_open_delete(tmp_path: Path) -> None:
    storage = FileDocumentStorage(tmp_path / "docs")
    key, digest, _ = storage.save(PDF)
    assert digest == hashlib.sha256(PDF).hexdigest()
    assert storage.open(key) == PDF
    storage.delete(key)
    storage.delete(key)
    with pytest.raises(FileNotFoundError):
        storage.open(key)


def test_same_bytes_get_separate_keys(tmp_path: Path) -> None:
    storage = FileDocumentStorage(tmp_path)
    first, _, _ = storage.save(JPEG)
    second, _, _ = storage.save(JPEG)
    assert first != second
    storage.delete(first)
    assert storage.open(second) == JPEG


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "ab/../../x", ""])
def test_malformed_keys_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError):
        FileDocumentStorage(tmp_path).open(key)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (JPEG, "image/jpeg"),
        ((FIXTURES / "hospital_bill.png").read_bytes(), "image/png"),
        (WEBP, "image/webp"),
        ((FIXTURES / "iphone_photo.heic").read_bytes(), "image/heic"),
        (_ftyp(b"mif1", b"mif1", b"heic"), "image/heic"),  # generic HEIF naming HEIC among its brands
        (PDF, "application/pdf"),
        ((FIXTURES / "too_large.pdf").read_bytes(), "application/pdf"),
    ],
)
def test_photos_and_pdf_are_known_by_their_bytes(data: bytes, expected: str) -> None:
    assert content_type(data) == expected == check(data)
    assert expected in ACCEPTED


@pytest.mark.parametrize(
    "data",
    [
        (FIXTURES / "renamed_program.jpg").read_bytes(),  # a Windows program named .jpg
        (FIXTURES / "page_as_image.png").read_bytes(),  # a web page named .png
        b"\x7fELF\x02\x01\x01" + bytes(57),
        b"PK\x03\x04" + bytes(26),  # a zip (and so a .docx)
        b"GIF89a\x01\x00\x01\x00",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"\x89PNG fake",  # a PNG signature cut short
        b"\xff\xd8",
        b"RIFF\x1a\x00\x00\x00AVI LIST",
        _ftyp(b"avif", b"mif1", b"avif"),  # AVIF is HEIF too, but not what phones' photos are
        _ftyp(b"isom", b"isom", b"mp42"),  # a video
        b"\x00\x00\x00\x08ftypheic",  # a box too short to be one
        b" %PDF-1.7",
    ],
)
def test_anything_else_is_refused_and_nothing_is_written(tmp_path: Path, data: bytes) -> None:
    assert content_type(data) is None
    with pytest.raises(DocumentRefused) as refused:
        FileDocumentStorage(tmp_path).save(data)
    assert refused.value.refusal is Refusal.NOT_ACCEPTED and refused.value.key == "uploads.not_accepted"
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_an_empty_file_is_refused_as_empty(tmp_path: Path) -> None:
    with pytest.raises(DocumentRefused) as refused:
        FileDocumentStorage(tmp_path).save(b"")
    assert refused.value.key == "uploads.empty"
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_what_the_system_draws_itself_is_kept_unchecked(tmp_path: Path) -> None:
    storage = FileDocumentStorage(tmp_path)
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    key, _ = storage.keep(svg)
    assert storage.open(key) == svg
