"""Which channels reach a resident who is not writing, and which keep a transcript instead."""

from __future__ import annotations

# Channels that can reach a resident who is not writing, most preferred first: notifications go
# to these by the dispatcher, and wait for the resident's next message on any other.
PUSH_CHANNELS: tuple[str, ...] = ("telegram", "wechat")
# Channels that cannot push but keep a transcript the resident reads when they come back (the
# web chat): the worker's reminders for a resident with no push channel are stored there.
TRANSCRIPT_CHANNELS: tuple[str, ...] = ("web",)


def push_identity(identities: list[tuple[str, str]]) -> tuple[str, str] | None:
    """Of a resident's identities (newest first), the one to push to, or None."""
    pushable = [i for i in identities if i[0] in PUSH_CHANNELS]
    return min(pushable, key=lambda i: PUSH_CHANNELS.index(i[0])) if pushable else None


def transcript_identity(identities: list[tuple[str, str]]) -> tuple[str, str] | None:
    """Of a resident's identities (newest first), the newest that keeps a transcript, or None."""
    return next((i for i in identities if i[0] in TRANSCRIPT_CHANNELS), None)

# Channels whose sent messages keep their buttons until they are edited (Telegram): a question's
# buttons are taken away once it is answered by typing, and a reply keyboard (the share-phone button,
# the resident's own buttons) stays under the input field until another replaces it.
KEYBOARD_CHANNELS: tuple[str, ...] = ("telegram",)

# Channels whose messages show HTML (the others take plain text: WeChat, the terminal).
SHOWS_HTML: frozenset[str] = frozenset({"telegram"})
