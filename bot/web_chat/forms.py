"""Reading a posted form: plain fields, and at most one file read only up to the size limit.

A file is read from the multipart stream as it arrives rather than through ``request.post()``,
whose limit is the application's (the API's small one) and whose failure is a bare 413: the
resident should instead be told in the chat that the file is too large. The form token must
come before the file, as the page's forms put it, so that nothing is read for a forged post.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

MAX_FIELD = 16 * 1024
_SEPARATORS = re.compile(r"[\\/]")


class FormRefused(Exception):
    """The form is malformed, or carries a file before a valid form token."""


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    mime: str
    data: bytes
    too_large: bool = False


@dataclass(frozen=True, slots=True)
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    upload: Upload | None = None
    # A file input sent empty: the upload button pressed with no file chosen.
    empty_upload: bool = False


def clean_filename(name: str) -> str:
    """The file's own name (some browsers send a whole path), short enough to store."""
    base = _SEPARATORS.split(name)[-1].strip() or "document"
    return base[-200:]


async def read_form(request: web.Request, *, max_file: int, token_ok: Callable[[str | None], bool]) -> Form:
    """The posted fields and file.

    Raises:
        FormRefused: a file before a valid ``csrf`` field, a field over 16 KB, or a body that is no form.
    """
    if request.content_type != "multipart/form-data":
        try:
            posted = await request.post()
        except ValueError as error:
            raise FormRefused(str(error)) from None
        return Form({k: v for k, v in posted.items() if isinstance(v, str)})
    try:
        return await _read_multipart(request, max_file=max_file, token_ok=token_ok)
    except (ValueError, LookupError, HttpProcessingError) as error:
        # aiohttp's multipart reader raises ValueError for a missing, overlong or absent boundary
        # and for a body cut short, and its header parser an HttpProcessingError for a part's
        # broken headers; an unknown charset is a LookupError. All are a malformed form.
        raise FormRefused(f"malformed multipart body: {error}") from None


async def _read_multipart(request: web.Request, *, max_file: int, token_ok: Callable[[str | None], bool]) -> Form:
    fields: dict[str, str] = {}
    empty = False
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or not part.name:
            raise FormRefused("nested or unnamed part")
        if part.filename is None:
            fields[part.name] = (await _read(part, MAX_FIELD))[0].decode("utf-8", "replace")
            continue
        if not token_ok(fields.get("csrf")):
            raise FormRefused("a file before the form token")
        data, size = await _read(part, max_file, refuse=False)
        if not part.filename and not size:
            empty = True
            continue
        name = clean_filename(part.filename)
        mime = (part.headers.get("Content-Type") or "").split(";")[0].strip()
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        # The file is the form's last field: whatever a forged form sends after it is not read.
        return Form(fields, Upload(name, mime, data, too_large=size > max_file))
    return Form(fields, None, empty)


async def _read(part: BodyPartReader, limit: int, *, refuse: bool = True) -> tuple[bytes, int]:
    """The part's bytes (none when there are more than ``limit``) and how many were read. Beyond
    the limit the rest is read and dropped, up to a bound, so that the browser hears the answer
    rather than a reset connection."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif refuse:
            raise FormRefused("field too long")
        else:
            chunks.clear()
            if size > 8 * limit + (1 << 20):
                break
    return (b"".join(chunks) if size <= limit else b""), size
