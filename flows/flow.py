"""Flow definitions as data: questions, loops over household members, and flow settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Protocol

Answers = Mapping[str, Any]
Member = Mapping[str, Any]


# The consent question's answer that refuses, and ends the flow.
DECLINE = "decline"


class Role(StrEnum):
    """What a question is to the engine, beyond asking it (shared by flows, see ``flows/common.py``)."""

    # The answer is the session's locale: taken as answered when the channel knows it, kept when
    # the answers are wiped, never offered for editing, and /language returns to it from anywhere
    # when it is the flow's first question.
    LANGUAGE = "language"
    # Agreement to what is collected and why: declining ends the flow with nothing kept, agreeing
    # is recorded with its time (``consent_at``); never offered for editing.
    CONSENT = "consent"


class AnswerContext(Protocol):
    """What a question's ``on_answer`` hook may do within the turn that took the answer."""

    @property
    def flow_name(self) -> str: ...

    def say(self, key: str, /, **params: object) -> None:
        """Send the message ``key`` before the next question."""

    def request_human(self, reason: str) -> None:
        """Ask for a person to look at this conversation now."""


AnswerHook = Callable[[AnswerContext, object], None]


class Kind(StrEnum):
    CHOICE = "choice"  # exactly one of the options
    TEXT = "text"  # typed; options, if any, are quick answers that send their value as text
    MULTI = "multi"  # several options, toggled, then "done"
    FILES = "files"  # documents, then "done"


@dataclass(frozen=True, slots=True)
class Localized:
    """A name that comes from data (a region, say) in each locale."""

    names: Mapping[str, str]

    def get(self, locale: str) -> str:
        return self.names.get(locale) or next(iter(self.names.values()))


@dataclass(frozen=True, slots=True)
class Ask:
    """What a question needs to know to parse or offer options: the answers so far and the day.

    ``member`` and ``index`` are set inside the member loop.
    """

    answers: Answers
    members: Sequence[Member]
    member: Member | None
    index: int
    today: date
    settings: Settings
    context: FlowContext


@dataclass(frozen=True, slots=True)
class Question:
    """One question of a flow.

    Attributes:
        id: the answer key, and the machine state (``member.<id>`` inside the member loop).
        kind: how it is answered.
        options: choice values, or a function of the ``Ask`` giving them (label keys are
            ``<flow>.<id>.option.<value>`` unless ``option_labels`` says otherwise).
        parse: text → stored value; raises ``flows.parsing.ParseError``.
        when: the question applies only when this returns true.
        optional: after three invalid answers a skip is offered.
        clears: answers that depend on this one and are asked again when it changes.
        params: extra prompt parameters computed from the ``Ask``.
        option_labels: a function of (value, Ask) giving the (key, params) of an option label.
        exclusive: a MULTI option that answers alone and at once ("none of these").
        preselect: MULTI options chosen in advance from earlier answers.
        request_contact: the channel may offer to share the phone number.
        role: what the answer means to the engine (the locale, consent), if anything.
        on_answer: called with each answer given, before the flow moves on (a flow's own
            reaction, such as bringing in a person for an urgent need).
        says: the messages (``<flow>.<name>``) ``on_answer`` may send, for catalog checks.
        shown: how a stored answer is shown back on a "keep" button (an ID number masked).
        fills: other answers this answer gives as well (a consent that says for whom), stored with it.
        counted: a step in the progress shown (not when another question's tap usually answers it).
    """

    id: str
    kind: Kind
    options: tuple[str, ...] | Callable[[Ask], tuple[str, ...]] = ()
    parse: Callable[[str, Ask], object] | None = None
    when: Callable[[Ask], bool] | None = None
    optional: bool = False
    clears: tuple[str, ...] = ()
    params: Callable[[Ask], dict[str, object]] | None = None
    option_labels: Callable[[str, Ask], tuple[str, dict[str, object]]] | None = None
    exclusive: str | None = None
    preselect: Callable[[Ask], tuple[str, ...]] | None = None
    request_contact: bool = False
    # MULTI only: typed text is the answer to this other question and ends the choice; with
    # nothing ticked, ``typed_default`` is the choice.
    text_answers: str | None = None
    typed_default: tuple[str, ...] = ()
    # Every value an options function can give, so that catalogs can be checked for labels.
    choices: tuple[str, ...] = ()
    role: Role | None = None
    on_answer: AnswerHook | None = None
    says: tuple[str, ...] = ()
    shown: Callable[[object], str] | None = None
    fills: Callable[[object], Mapping[str, object]] | None = None
    counted: bool = True


@dataclass(frozen=True, slots=True)
class Loop:
    """Questions asked once per household member.

    Attributes:
        size: the question whose answer is the number of members; answering it adds or drops
            members, and adding or removing one from the edit menu changes it.
        describe: parameters that name a member on the edit menu (besides its number ``n``).
    """

    id: str
    size: str
    questions: tuple[Question, ...]
    describe: Callable[[Member], dict[str, object]] | None = None

    def count(self, answers: Answers) -> int:
        """How many members the answers say the household has."""
        return int(answers.get(self.size) or 0)


@dataclass(frozen=True, slots=True)
class Settings:
    reminder_after: timedelta = timedelta(hours=24)
    expire_after: timedelta = timedelta(days=30)
    max_amount: int = 10_000_000
    max_text: int = 4096
    max_members: int = 12
    max_invalid: int = 3
    review_days: int = 10
    # Words that bring a person in at once (flows/crisis_words.yaml), folded as mentions_crisis folds text.
    crisis_words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Office:
    """A street office (街道办) residents can apply to, with its name in each language."""

    code: str
    name: Localized


@dataclass(frozen=True, slots=True)
class District:
    """A district and the street offices in it, for the two-step choice of where one lives."""

    code: str
    name: Localized
    offices: tuple[Office, ...]


@dataclass(frozen=True, slots=True)
class FlowContext:
    """Data a flow reads but does not own: the region tree of the policy pack, the volunteer skills."""

    districts: tuple[District, ...] = ()
    # Up to this many offices in all, one question picks district and office together.
    single_step_offices: int = 8
    # Skill codes a volunteer can offer, in the order they are listed.
    skills: tuple[str, ...] = ()

    def office(self, code: str) -> tuple[District, Office] | None:
        for district in self.districts:
            for office in district.offices:
                if office.code == code:
                    return district, office
        return None

    @property
    def office_count(self) -> int:
        return sum(len(d.offices) for d in self.districts)


@dataclass(frozen=True, slots=True)
class Flow:
    """A flow: its items in asking order and what to do once it is confirmed."""

    name: str
    version: int
    items: tuple[Question | Loop, ...]
    build: Callable[[Answers, Sequence[Member], Ask], dict[str, object]]
    # Answer keys renamed or dropped between versions: {old_version: function(answers) -> answers}.
    migrations: Mapping[int, Callable[[dict[str, object]], dict[str, object]]] = field(default_factory=dict)
    # Extra parameters for the summary message only (names of things the answers hold as codes).
    summary_extras: Callable[[Answers, Ask], dict[str, object]] | None = None
    # A question whose answer is checked against open applications right away, and the ids
    # (ID numbers) to check that an answer gives.
    lookup_after: frozenset[str] = frozenset()
    lookup_ids: Callable[[object], tuple[str, ...]] | None = None
    # Answers the flow is started with rather than asks (the application a reply is about):
    # its welcome and reminder show them, and they outlive a wipe or a restart.
    given: tuple[str, ...] = ()
    # The resident agreed to what is collected, and why, before this flow began (a reply on
    # their own application falls under the consent given when applying), so the flow asks
    # no consent question and documents are kept from the first message.
    consented_before: bool = False
    # Answers worked out from others (hardship types ticked from work and health), brought in line
    # whenever an answer changes: function(answers, members, Ask) changing ``answers`` in place.
    rederive: Callable[[dict[str, object], Sequence[Member], Ask], None] | None = None
    # Each question says where the resident is: "step n of about m" (m from the questions that
    # apply to this household with the answers so far).
    show_progress: bool = False
    # The summary's parts, in order, each with the states it covers (the loop's id stands for its
    # members): each part has its own change button, which lists that part's answers only.
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def group_states(self, group: str) -> tuple[str, ...] | None:
        """The states a summary part covers, or ``None`` for a part the flow does not have."""
        return next((states for name, states in self.groups if name == group), None)

    def questions(self) -> dict[str, Question]:
        """Every question by state name."""
        found: dict[str, Question] = {}
        for item in self.items:
            if isinstance(item, Loop):
                for q in item.questions:
                    found[f"{item.id}.{q.id}"] = q
            else:
                found[item.id] = item
        return found

    def loop(self) -> Loop | None:
        return next((i for i in self.items if isinstance(i, Loop)), None)

    def states_with(self, role: Role) -> tuple[str, ...]:
        """The states of the questions that have ``role`` (only questions outside a loop have one)."""
        return tuple(item.id for item in self.items if isinstance(item, Question) and item.role is role)

    def starts_with_language(self) -> bool:
        """Whether the first question is the language one (so /language can go back to it)."""
        first = self.items[0] if self.items else None
        return isinstance(first, Question) and first.role is Role.LANGUAGE
