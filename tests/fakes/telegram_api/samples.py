"""The sample media simulated users send: a tiny PNG photo and a static WebP sticker."""

from __future__ import annotations

import struct
import zlib


def _png(width: int, height: int) -> bytes:
    """A valid, tiny, grey PNG image of the given size."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG: bytes = _png(4, 3)
"""The default picture that :meth:`SimUser.send_photo` sends."""

WEBP_STICKER: bytes = (
    b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
)
