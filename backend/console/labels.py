"""Codes as the reader's words: enum values, intake steps, people and the notes the system writes.

Every page gets one ``Labels`` as ``label``; a code with no label yet is shown as it is rather than
hidden, so a new value is visible (and then named in the catalogs).
"""

from __future__ import annotations

from collections.abc import Mapping

from backend.cases import system_notes
from locales import Messages

SYSTEM = "system"
RESIDENT_PREFIX = "resident:"
NONE = "—"


class Labels:
    """Labels in one reader's language; ``people`` maps usernames to display names."""

    def __init__(self, messages: Messages, people: Mapping[str, str] | None = None) -> None:
        self._messages = messages
        self._people = dict(people or {})

    def code(self, value: object, *prefixes: str) -> str:
        """The label of the first ``<prefix><value>`` key the catalogs have, else the value itself."""
        if value is None or value == "":
            return NONE
        for prefix in prefixes:
            key = f"{prefix}{value}"
            if self._messages.has(key):
                return self._messages.render(key)
        return str(value)

    def relation(self, value: object) -> str:
        """A household member's relation to the applicant (``self``: the applicant)."""
        return self.code(value, "console.relation.", "intake.members.relation.option.")

    def step(self, value: object) -> str:
        """An intake step (a question's state) by the question's label."""
        if value is None or value == "":
            return NONE
        step = str(value)
        for key in (f"intake.{step}.label", f"console.funnel.{step}", f"console.step.{step}"):
            if self._messages.has(key):
                return self._messages.render(key)
        return step

    def person(self, actor: str | None) -> str:
        """Who did something: a member of staff by display name (the username only if unknown),
        the system, or a resident (never their id)."""
        if not actor:
            return NONE
        if actor == SYSTEM:
            return self._messages.render("console.actor.system")
        if actor.startswith(RESIDENT_PREFIX):
            return self._messages.render("console.actor.resident")
        return self._people.get(actor) or actor

    def history_note(self, note: str | None) -> str:
        """A history row's note: a system note as a sentence, anything a person wrote as written."""
        if not note:
            return ""
        found = system_notes.decode(note)
        key = f"console.note.{found.code}" if found else ""
        if found is None or not self._messages.has(key):
            return note
        params = found.params
        return self._messages.render(
            key,
            layer=self.code(params.get("layer") or "none", "policy.layer."),
            level=self.code(params["level"], "console.level.") if params.get("level") else NONE,
            emergency=params.get("emergency") == "1",
        )
