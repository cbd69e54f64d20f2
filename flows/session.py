"""The session snapshot: everything the engine needs between two messages, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypedDict


class SessionState(StrEnum):
    """The states that are not questions (a question's state is its id, ``loop.question`` in a loop).

    The values are what sessions store; they never change.
    """

    NEW = "new"
    SUMMARY = "summary"
    EDIT_MENU = "edit_menu"
    MEMBER_MENU = "member_menu"
    CANCEL_CONFIRM = "cancel_confirm"
    SUBMITTED = "submitted"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    DUPLICATE = "duplicate"


class Proposal(TypedDict):
    """An answer waiting for the resident's one-tap confirmation (``flows.confirmation``), as the
    session keeps it."""

    at: str  # "<state>@<cursor>": the question it answers
    token: str  # unique to this proposal within the conversation: its buttons carry it
    value: object  # what is recorded when the resident confirms
    key: str  # the message that asks
    params: dict[str, object]


FINAL_STATES = frozenset(
    {SessionState.SUBMITTED, SessionState.DECLINED, SessionState.CANCELLED, SessionState.EXPIRED,
     SessionState.DUPLICATE}
)
MENU_STATES = frozenset(
    {SessionState.SUMMARY, SessionState.EDIT_MENU, SessionState.MEMBER_MENU, SessionState.CANCEL_CONFIRM}
)

# Names the runner imports (bot/serve.py: the funnel's last steps).
SUMMARY = SessionState.SUMMARY
SUBMITTED = SessionState.SUBMITTED


@dataclass(slots=True)
class Session:
    """One resident's progress through one flow. JSON-safe when turned into a dict."""

    flow: str
    version: int
    # A SessionState's value, or the id of the question being asked. A plain string, never the
    # enum: the machine library reads an enum state by its member name.
    state: str = SessionState.NEW.value
    locale: str | None = None
    answers: dict[str, object] = field(default_factory=dict)
    members: list[dict[str, object]] = field(default_factory=list)
    cursor: int = 0  # the member a member question is about
    invalid: int = 0  # invalid answers in a row to the current question
    selection: list[str] | None = None  # a multiple choice in progress
    resume: list[Any] | None = None  # [state, cursor] to return to after a detour
    documents: list[str] = field(default_factory=list)
    started_at: str = ""
    last_active_at: str = ""
    reminded: bool = False
    number: str | None = None
    turns: int = 0
    # Answers filled in by someone else (outreach from the registry) that the resident has not
    # confirmed yet, as "<state>@<cursor>": each is asked again, with its value offered.
    to_confirm: list[str] = field(default_factory=list)
    # An answer read with some doubt (an approximate amount), waiting for the resident's one-tap
    # confirmation: see ``flows.confirmation``. Plain data, so it outlives a restart.
    pending: Proposal | None = None
    # The summary part being changed (its edit menu lists that part's answers only), if any.
    group: str | None = None

    def copy(self) -> Session:
        """A copy deep enough that changing it never touches the original."""
        return Session(
            flow=self.flow,
            version=self.version,
            state=self.state,
            locale=self.locale,
            answers=dict(self.answers),
            members=[dict(m) for m in self.members],
            cursor=self.cursor,
            invalid=self.invalid,
            selection=list(self.selection) if self.selection is not None else None,
            resume=list(self.resume) if self.resume is not None else None,
            documents=list(self.documents),
            started_at=self.started_at,
            last_active_at=self.last_active_at,
            reminded=self.reminded,
            number=self.number,
            turns=self.turns,
            to_confirm=list(self.to_confirm),
            pending=self.pending.copy() if self.pending is not None else None,
            group=self.group,
        )

    def to_dict(self) -> dict[str, object]:
        """The snapshot as plain data (shallow: it is serialised straight away, never changed)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES
