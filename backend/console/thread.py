"""The thread as the case page shows it: each notice in the words the resident read, in the reader's language."""

from __future__ import annotations

from backend.cases.notices import notice_key
from backend.cases.thread import EntryKind, ThreadEntry
from locales import Messages, MissingMessage


def notice_texts(entries: list[ThreadEntry], messages: Messages, number: str) -> dict[int, str]:
    """What each notice of the thread told the resident, in the reader's language, by position
    (a notice whose message cannot be rendered here shows its kind instead)."""
    texts: dict[int, str] = {}
    for position, entry in enumerate(entries):
        if entry.kind is not EntryKind.NOTICE or entry.notice_kind is None:
            continue
        params = {k: v for k, v in entry.notice_params.items() if k != "buttons"}
        try:
            texts[position] = messages.render(notice_key(entry.notice_kind), number=number, locale=messages.locale,
                                              **params)
        except (MissingMessage, TypeError):
            texts[position] = entry.notice_kind
    return texts
