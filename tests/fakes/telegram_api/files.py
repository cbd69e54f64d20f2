"""File storage: the files the emulator knows by file_id and download path, and getFile."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.fakes.telegram_api.errors import bad

if TYPE_CHECKING:
    from tests.fakes.telegram_api.server import BotApiEmulator


@dataclass
class StoredFile:
    """A file the emulator knows: its ids, bytes, reported size and download path."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_size: int
    file_path: str


class FileStore(Mapping[str, StoredFile]):
    """Stored files by file_id, also found by their download path."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._file_paths: dict[str, StoredFile] = {}
        self._file_counter = 0

    def __getitem__(self, file_id: str) -> StoredFile:
        return self._files[file_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)

    def at_path(self, file_path: str) -> StoredFile | None:
        """The file served at this download path, if any."""
        return self._file_paths.get(file_path)

    def store(self, data: bytes, folder: str, suffix: str, size: int) -> StoredFile:
        """Keep file bytes under a new file_id and download path."""
        self._file_counter += 1
        number = self._file_counter
        stored = StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:08d}{folder[:3]}",
            file_unique_id=f"AgAD{number:06d}",
            data=data,
            file_size=size,
            file_path=f"{folder}/file_{number}{suffix}",
        )
        self._files[stored.file_id] = stored
        self._file_paths[stored.file_path] = stored
        return stored

    def input_file(self, value: Any, folder: str, suffix: str) -> tuple[StoredFile, str | None, str | None]:
        """A file from an upload, a known file_id or a URL: (file, file name, mime type)."""
        if isinstance(value, dict) and value.get("upload") is True:
            name = value.get("filename") or f"file{suffix}"
            if "." in name:
                suffix = "." + name.rsplit(".", 1)[1]
            data = value["data"]
            if not data:
                raise bad("file must be non-empty")
            return self.store(data, folder, suffix, len(data)), name, value.get("mime_type")
        if isinstance(value, str) and value in self._files:
            return self._files[value], None, None
        if isinstance(value, str) and re.match(r"^https?://\S+$", value):
            name = value.rstrip("/").rsplit("/", 1)[-1] or f"file{suffix}"
            return self.store(b"downloaded:" + value.encode(), folder, suffix, 1024), name, None
        if value is None or value == "":
            raise bad("there is no file in the request")
        raise bad("wrong file identifier/HTTP URL specified")


async def get_file(emulator: BotApiEmulator, params: dict[str, Any]) -> dict[str, Any]:
    """getFile; files over max_download_bytes get 'file is too big' like the real 20 MB limit."""
    stored = emulator._files.get(str(params.get("file_id") or ""))
    if stored is None:
        raise bad("invalid file_id")
    if emulator.max_download_bytes is not None and stored.file_size > emulator.max_download_bytes:
        raise bad("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
        "file_path": stored.file_path,
    }
