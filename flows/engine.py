"""The conversation engine: (session, event, now) -> (session, intents). Pure and deterministic.

Where a resident goes next is worked out from the answers: the next question that
applies (or, after an edit, the first one whose answer is missing). The flow's machine
checks every move against the edges the flow declares.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flows import events as ev
from flows.flow import Ask, Flow, FlowContext, Kind, Loop, Question, Settings
from flows.intents import (
    AttachDocuments,
    DiscardData,
    Intent,
    LookupOpenApplication,
    LookupStatus,
    Option,
    Reply,
    RequestHuman,
    ScheduleReminder,
    SetLocale,
    SetOffers,
    SubmitApplication,
)
from flows.machine import build_machine, fire, has_edge
from flows.parsing import ParseError, parse_free_text
from flows.session import (
    CANCEL_CONFIRM,
    CANCELLED,
    DECLINED,
    DUPLICATE,
    EDIT_MENU,
    EXPIRED,
    MEMBER_MENU,
    NEW,
    SUBMITTED,
    SUMMARY,
    Session,
)

# Values of the engine's own buttons; a leading underscore keeps them apart from flow options.
DONE, SKIP, HUMAN, KEEP, BACK = "_done", "_skip", "_human", "_keep", "_back"
CONFIRM, CHANGE, YES, NO = "_confirm", "_change", "_yes", "_no"
ADD_MEMBER, REMOVE_MEMBER = "_add_member", "_remove_member"
LOCALES = ("zh_CN", "en")


@dataclass(frozen=True, slots=True)
class Position:
    state: str
    cursor: int
    question: Question
    member: dict[str, Any] | None


class Engine:
    """Runs one flow. Build once; ``step`` is safe to call for any number of sessions."""

    def __init__(self, flow: Flow, context: FlowContext, settings: Settings | None = None) -> None:
        self.flow = flow
        self.context = context
        self.settings = settings or Settings()
        self.machine = build_machine(flow)
        self.questions = flow.questions()
        self.loop = flow.loop()
        self._order = {name: i for i, name in enumerate(self.questions)}

    # ------------------------------------------------------------------ entry points

    def new_session(
        self,
        now: datetime,
        locale_hint: str | None = None,
        answers: Mapping[str, Any] | None = None,
        *,
        members: Sequence[Mapping[str, Any]] = (),
        confirm: bool = False,
    ) -> Session:
        """A fresh session; a language the channel already knows is taken as answered.

        ``answers`` are what whoever starts the flow already knows (the flow's ``given``). With
        ``confirm``, ``answers`` and ``members`` are a pre-filled application: the resident is
        asked each of those questions in turn with its value offered, and only checks it (or
        corrects it) before the summary.
        """
        locale = locale_hint if locale_hint in LOCALES else None
        answers = dict(answers or {})
        if locale:
            answers["language"] = locale
        stamp = now.isoformat()
        session = Session(
            flow=self.flow.name,
            version=self.flow.version,
            locale=locale,
            answers=answers,
            members=[dict(m) for m in members],
            started_at=stamp,
            last_active_at=stamp,
        )
        if confirm:
            session.to_confirm = [
                _confirm_key(pos.state, pos.cursor)
                for pos in self.positions(session, now.date())
                if pos.state != "language" and pos.question.id in (pos.member if pos.member is not None else answers)
            ]
        return session

    def step(self, session: Session, event: ev.Event, now: datetime) -> tuple[Session, list[Intent]]:
        """Apply one event to a session. The input session is left untouched."""
        turn = _Turn(self, self.restore(session), now)
        turn.handle(event)
        return turn.s, turn.out

    def restore(self, session: Session) -> Session:
        """A working copy, migrated to the current flow version when it was stored by an older one."""
        s = session.copy()
        if s.version == self.flow.version or s.state == NEW or s.final:
            s.version = self.flow.version
            return s
        for old in sorted(v for v in self.flow.migrations if v >= s.version):
            s.answers = self.flow.migrations[old](s.answers)
        known = {q.id for q in self.flow.items if isinstance(q, Question)} | {"consent_at", *self.flow.given}
        s.answers = {k: v for k, v in s.answers.items() if k in known}
        if self.loop:
            keys = {q.id for q in self.loop.questions}
            s.members = [{k: v for k, v in m.items() if k in keys} for m in s.members]
        s.version = self.flow.version
        s.selection, s.resume, s.invalid = None, None, 0
        # Resume at the first question whose answer is missing (a jump, not a move: the
        # old state may not exist in this version of the flow).
        missing = self.first_missing(s, now=None)
        s.state, s.cursor = (missing.state, missing.cursor) if missing else (SUMMARY, 0)
        return s

    # ------------------------------------------------------------------ questions in order

    def ask_for(self, s: Session, today, member: dict | None = None, index: int = 0) -> Ask:
        return Ask(s.answers, s.members, member, index, today, self.settings, self.context)

    def positions(self, s: Session, today) -> Iterator[Position]:
        """Every question that applies, in asking order (member questions once per member)."""
        household = self.ask_for(s, today)
        for item in self.flow.items:
            if isinstance(item, Loop):
                for i, member in enumerate(s.members[: item.count(s.answers)]):
                    ask = self.ask_for(s, today, member, i)
                    for q in item.questions:
                        if q.when is None or q.when(ask):
                            yield Position(f"{item.id}.{q.id}", i, q, member)
            elif item.when is None or item.when(household):
                yield Position(item.id, 0, item, None)

    def first_missing(self, s: Session, now: datetime | None) -> Position | None:
        today = (now or datetime.fromisoformat(s.last_active_at or s.started_at)).date()
        for pos in self.positions(s, today):
            store = pos.member if pos.member is not None else s.answers
            if pos.question.id not in store or (s.to_confirm and _confirm_key(pos.state, pos.cursor) in s.to_confirm):
                return pos
        return None

    def previous(self, s: Session, today) -> Position | None:
        """The question asked just before the current one (the last one, from the summary)."""
        before: Position | None = None
        for pos in self.positions(s, today):
            if pos.state == s.state and pos.cursor == s.cursor:
                return before
            before = pos
        return before if s.state == SUMMARY else None


class _Turn:
    """One event applied to one session; collects intents in ``out``."""

    def __init__(self, engine: Engine, s: Session, now: datetime) -> None:
        self.e = engine
        self.s = s
        self.now = now
        self.today = now.date()
        self.out: list[Intent] = []
        self.settings = engine.settings

    # ------------------------------------------------------------------ dispatch

    def handle(self, event: ev.Event) -> None:
        s = self.s
        if isinstance(event, ev.Tick):
            self.on_tick()
            return
        if isinstance(event, _RESULTS):
            self.on_result(event)
            self.schedule()
            return
        if self.expired():
            self.expire()
            self.restart()
            s = self.s
        s.last_active_at = self.now.isoformat()
        s.reminded = False
        s.turns += 1
        if isinstance(event, ev.Text) and mentions_crisis(event.text, self.settings.crisis_words):
            # Someone in danger gets a person at once, whatever else the message is; the
            # conversation still takes it as an answer below.
            self.request_human("crisis_words")
            self.say("human.crisis")
        if isinstance(event, ev.Command):
            self.on_command(event)
        elif isinstance(event, ev.FileUpload) and s.state == SUBMITTED and s.number:
            # "Can be added later": a document sent after submitting joins the application.
            self.out.append(AttachDocuments(s.number, (event.document_id,)))
            self.say("documents.attached", filename=event.filename, number=s.number)
        elif isinstance(event, ev.FileUpload) and not self.consented():
            # Nothing is kept before the resident has agreed to what is collected and why.
            self.out.append(DiscardData((event.document_id,)))
            self.say("documents.before_consent")
            self.reask()
        elif s.final:
            self.on_final(event)
        elif isinstance(event, ev.Unsupported):
            self.say("error.unsupported", kind=event.kind)
            self.reask()
        elif isinstance(event, ev.Text) and len(event.text) > self.settings.max_text:
            self.say("error.text.too_long", max=self.settings.max_text)
            self.reask()
        elif s.state == NEW:
            if isinstance(event, ev.FileUpload):
                # Only a flow consented to before gets here with a file: keep it, not lose it.
                self.keep_document(event)
                self.say("documents.kept_early", filename=event.filename)
            self.start()
        elif isinstance(event, ev.FileUpload) and self.question_kind() is not Kind.FILES:
            self.keep_document(event)
            self.say("documents.kept_early", filename=event.filename)
            self.reask()
        elif s.state in _MENUS:
            _MENUS[s.state](self, event)
        else:
            self.on_answer(event)
        self.schedule()

    def schedule(self) -> None:
        s = self.s
        if s.final:
            self.out.append(ScheduleReminder(None, None))
            return
        last = datetime.fromisoformat(s.last_active_at)
        remind = None if s.reminded else (last + self.settings.reminder_after).isoformat()
        self.out.append(ScheduleReminder(remind, (last + self.settings.expire_after).isoformat()))

    # ------------------------------------------------------------------ helpers

    def say(self, key: str, options: tuple[Option, ...] = (), **params: Any) -> None:
        self.out.append(Reply(key, params, options))

    def consented(self) -> bool:
        return self.e.flow.consented_before or "consent_at" in self.s.answers

    def given(self) -> dict[str, Any]:
        """The answers the flow was started with (those it has)."""
        return {key: self.s.answers[key] for key in self.e.flow.given if key in self.s.answers}

    def given_params(self) -> dict[str, Any]:
        """The same as message parameters: every one named, ``None`` when missing."""
        return dict.fromkeys(self.e.flow.given) | self.given()

    def fire(self, trigger: str, target: str) -> None:
        fire(self.e.machine, self.s, trigger, target)

    def question(self) -> Question | None:
        return self.e.questions.get(self.s.state)

    def question_kind(self) -> Kind | None:
        q = self.question()
        return q.kind if q else None

    def member(self) -> dict[str, Any] | None:
        if self.e.loop and self.s.state.startswith(self.e.loop.id + "."):
            return self.s.members[self.s.cursor]
        return None

    def ask(self) -> Ask:
        return self.e.ask_for(self.s, self.today, self.member(), self.s.cursor)

    def store(self) -> dict[str, Any]:
        member = self.member()
        return member if member is not None else self.s.answers

    def options_of(self, q: Question, ask: Ask) -> tuple[str, ...]:
        return q.options(ask) if callable(q.options) else q.options

    def label(self, q: Question, value: str, ask: Ask) -> tuple[str, dict[str, Any]]:
        if q.option_labels:
            return q.option_labels(value, ask)
        return f"{self.prefix(q)}.option.{value}", {}

    def prefix(self, q: Question) -> str:
        member = self.e.loop and self.s.state.startswith(self.e.loop.id + ".")
        return f"{self.e.flow.name}.{self.e.loop.id}.{q.id}" if member else f"{self.e.flow.name}.{q.id}"

    # ------------------------------------------------------------------ prompts

    def reask(self) -> None:
        """Ask the current question again (or show the current menu)."""
        s = self.s
        if s.state == NEW:
            self.start()
        elif s.state == SUMMARY:
            self.show_summary()
        elif s.state == EDIT_MENU:
            self.show_edit_menu()
        elif s.state == MEMBER_MENU:
            self.show_member_menu()
        elif s.state == CANCEL_CONFIRM:
            self.say("cancel.confirm", (Option(YES, "cancel.yes"), Option(NO, "cancel.no")))
        elif s.final:
            self.say(f"final.{s.state}", number=s.number)
        else:
            self.prompt()

    def prompt(self, extra: tuple[Option, ...] = ()) -> None:
        q = self.question()
        assert q is not None
        ask = self.ask()
        params = dict(q.params(ask)) if q.params else {}
        if self.member() is not None:
            params.setdefault("n", self.s.cursor + 1)
        options: list[Option] = []
        store = self.store()
        current = store.get(q.id)
        if q.kind is Kind.MULTI:
            if self.s.selection is None:
                self.s.selection = list(current or (q.preselect(ask) if q.preselect else ()))
            for value in self.options_of(q, ask):
                key, p = self.label(q, value, ask)
                options.append(Option(value, key, p, selected=value in self.s.selection))
            options.append(Option(DONE, "common.done"))
            params["selected"] = [self.label(q, v, ask) for v in self.s.selection]
        elif q.kind is Kind.FILES:
            params["count"] = len(self.s.documents)
            options.append(Option(DONE, "common.done" if self.s.documents else "common.skip"))
        else:
            for value in self.options_of(q, ask):
                key, p = self.label(q, value, ask)
                options.append(Option(value, key, p, selected=(value == current)))
            if current is not None and q.kind is Kind.TEXT:
                options.append(Option(KEEP, "common.keep", {"value": _shown(q.id, current)}))
            if q.optional and q.kind is Kind.TEXT and not extra:
                options.append(Option(SKIP, "common.skip"))
        free_text = q.kind is Kind.TEXT or (q.kind is Kind.MULTI and q.text_answers is not None)
        self.out.append(
            Reply(f"{self.prefix(q)}.prompt", params, tuple(options) + extra, q.request_contact, free_text)
        )

    def start(self) -> None:
        """Greet and ask the first question that applies."""
        self.say(f"{self.e.flow.name}.welcome", **self.given_params())
        first = self.e.first_missing(self.s, self.now)
        assert first is not None
        self.fire("start", first.state)
        self.s.cursor = first.cursor
        self.prompt()

    # ------------------------------------------------------------------ answers

    def on_answer(self, event: ev.Event) -> None:
        q = self.question()
        assert q is not None
        value = self.value_of(q, event)
        if value is _PENDING:
            return
        if value is _INVALID:
            return
        self.accept(q, value)

    def value_of(self, q: Question, event: ev.Event) -> Any:
        """The answer an event gives, ``_PENDING`` while a multiple choice goes on, or ``_INVALID``."""
        ask = self.ask()
        chosen = event.value if isinstance(event, ev.Choice) else None
        text = event.text.strip() if isinstance(event, ev.Text) else None
        if chosen == KEEP or (text is not None and text.lower() == KEEP):
            current = self.store().get(q.id)
            if current is not None:
                return current
        if chosen == HUMAN:
            self.request_human("resident_request")
            self.say("human.recorded")
            self.prompt()
            return _PENDING
        if chosen == SKIP and q.optional:
            return None
        if q.kind is Kind.CHOICE:
            options = self.options_of(q, ask)
            pick = chosen if chosen is not None else text
            if pick in options:
                return pick
            return self.invalid(q, "choice.invalid")
        if q.kind is Kind.TEXT:
            raw = chosen if chosen is not None else text
            if raw is None:
                return self.invalid(q, "text.expected")
            try:
                return q.parse(raw, ask) if q.parse else raw
            except ParseError as error:
                return self.invalid(q, error.code, **error.params)
        if q.kind is Kind.MULTI:
            return self.multi(q, ask, chosen, text)
        if q.kind is Kind.FILES:
            if isinstance(event, ev.FileUpload):
                self.keep_document(event)
                self.say("documents.received", filename=event.filename, count=len(self.s.documents))
                self.prompt()
                return _PENDING
            if chosen in (DONE, SKIP) or (text or "").lower() in ("done", "skip"):
                return list(self.s.documents)
            return self.invalid(q, "files.expected")
        raise AssertionError(q.kind)

    def multi(self, q: Question, ask: Ask, chosen: str | None, text: str | None) -> Any:
        options = self.options_of(q, ask)
        if chosen is None and text in options:
            chosen, text = text, None  # an option typed rather than tapped
        if self.s.selection is None:
            self.s.selection = list(self.store().get(q.id) or (q.preselect(ask) if q.preselect else ()))
        if chosen == DONE or (text is not None and text.lower() == DONE):
            if not self.s.selection and not q.exclusive:
                return self.invalid(q, "multi.empty")
            return list(self.s.selection)
        if chosen is not None and chosen == q.exclusive:
            return []
        if chosen in options:
            sel = self.s.selection
            sel.remove(chosen) if chosen in sel else sel.append(chosen)
            self.prompt()
            return _PENDING
        if text is not None and q.text_answers:
            try:
                self.store()[q.text_answers] = parse_free_text(text, max_length=self.settings.max_text)
            except ParseError as error:
                return self.invalid(q, error.code, **error.params)
            return list(self.s.selection) or list(q.typed_default)
        if text is not None and q.parse is not None:
            # Typed text answers the question in one go (the flow says how).
            try:
                return q.parse(text, ask)
            except ParseError as error:
                return self.invalid(q, error.code, **error.params)
        return self.invalid(q, "choice.invalid")

    def invalid(self, q: Question, code: str, **params: Any) -> Any:
        s = self.s
        s.invalid += 1
        self.say(f"error.{code}", **params)
        extra: tuple[Option, ...] = ()
        if s.invalid >= self.settings.max_invalid:
            if s.invalid == self.settings.max_invalid:
                self.request_human("invalid_answers")
            self.say("help.offer", optional=q.optional)
            extra = (Option(HUMAN, "common.human"),)
            if q.optional:
                extra += (Option(SKIP, "common.skip"),)
        self.prompt(extra)
        return _INVALID

    def request_human(self, reason: str) -> None:
        self.out.append(RequestHuman(reason, self.s.state))

    def accept(self, q: Question, value: Any) -> None:
        s = self.s
        if s.to_confirm:
            key = _confirm_key(s.state, s.cursor)
            s.to_confirm = [k for k in s.to_confirm if k != key]
        store = self.store()
        changed = store.get(q.id, _MISSING) != value
        store[q.id] = value
        if changed:
            for key in q.clears:
                store.pop(key, None)
        s.invalid = 0
        s.selection = None
        hook = _ON_ANSWER.get(s.state)
        if hook and hook(self, value):
            return
        if s.state in self.e.flow.lookup_after:
            ids = self.lookup_ids(q, value)
            if ids:
                self.out.append(LookupOpenApplication(ids))
                return  # the result event moves on
        self.advance()

    def lookup_ids(self, q: Question, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            return (value,)
        if isinstance(value, dict) and value.get("id_number"):
            return (value["id_number"],)
        return ()

    def advance(self) -> None:
        """Go on to the first question still unanswered, or to the summary.

        Usually that is the next question along the flow; after /back or an edit it may be
        further on, and the move goes through the summary (a hub) without showing it.
        """
        s = self.s
        target = self.e.first_missing(s, self.now)
        state = target.state if target else SUMMARY
        if has_edge(self.e.machine, s.state, "answer", state):
            self.fire("answer", state)
        else:
            self.fire("review", SUMMARY)
            if target is not None:
                self.fire("resume", state)
        if target is None:
            self.show_summary()
            return
        s.cursor = target.cursor
        self.prompt()

    def keep_document(self, event: ev.FileUpload) -> None:
        if event.document_id not in self.s.documents:
            self.s.documents.append(event.document_id)

    # ------------------------------------------------------------------ summary and edits

    def show_summary(self) -> None:
        ask = self.ask_for_summary()
        flow = self.e.flow
        extras = flow.summary_extras(self.s.answers, ask) if flow.summary_extras else {}
        self.say(
            f"{flow.name}.summary",
            (Option(CONFIRM, "summary.confirm"), Option(CHANGE, "summary.change")),
            application=flow.build(self.s.answers, self.s.members, ask),
            documents=len(self.s.documents),
            **extras,
        )

    def ask_for_summary(self) -> Ask:
        return self.e.ask_for(self.s, self.today)

    def on_summary(self, event: ev.Event) -> None:
        pick = _picked(event)
        if pick == CONFIRM:
            payload = self.e.flow.build(self.s.answers, self.s.members, self.ask_for_summary())
            payload["submitted_at"] = self.now.isoformat()
            payload["locale"] = self.s.locale or LOCALES[0]
            self.out.append(SubmitApplication(payload, tuple(self.s.documents)))
        elif pick == CHANGE:
            self.fire("change", EDIT_MENU)
            self.show_edit_menu()
        elif isinstance(event, ev.FileUpload):
            self.keep_document(event)
            self.show_summary()
        else:
            self.say("error.choice.invalid")
            self.show_summary()

    def show_edit_menu(self) -> None:
        s = self.s
        options: list[Option] = []
        for pos in self.e.positions(s, self.today):
            if pos.member is None and pos.state not in ("language", "consent") and pos.state in s.answers:
                options.append(Option(f"q:{pos.state}", f"{self.e.flow.name}.{pos.state}.label"))
        for i, member in enumerate(s.members):
            options.append(Option(f"m:{i}", "edit.member", {"n": i + 1, "relation": member.get("relation", "self")}))
        if self.e.loop and len(s.members) < self.settings.max_members:
            options.append(Option(ADD_MEMBER, "edit.add_member"))
        options.append(Option(BACK, "edit.back"))
        self.say("edit.menu", tuple(options))

    def on_edit_menu(self, event: ev.Event) -> None:
        s = self.s
        pick = _picked(event) or ""
        if pick == BACK:
            self.fire("back", SUMMARY)
            self.show_summary()
        elif pick.startswith("q:") and pick[2:] in self.e.questions and pick[2:] in s.answers:
            self.fire("pick", pick[2:])
            s.cursor = 0
            self.prompt()
        elif pick.startswith("m:") and pick[2:].isdigit() and int(pick[2:]) < len(s.members):
            s.cursor = int(pick[2:])
            self.fire("pick", MEMBER_MENU)
            self.show_member_menu()
        elif pick == ADD_MEMBER and self.e.loop and len(s.members) < self.settings.max_members:
            s.members.append({})
            s.answers["household_size"] = len(s.members)
            self.fire("pick", SUMMARY)
            self.advance_from_summary()
        else:
            self.say("error.choice.invalid")
            self.show_edit_menu()

    def advance_from_summary(self) -> None:
        target = self.e.first_missing(self.s, self.now)
        if target is None:
            self.show_summary()
            return
        self.fire("resume", target.state)
        self.s.cursor = target.cursor
        self.prompt()

    def show_member_menu(self) -> None:
        s = self.s
        loop = self.e.loop
        assert loop is not None
        options = [
            Option(f"q:{pos.state}", f"{self.e.flow.name}.{pos.state}.label")
            for pos in self.e.positions(s, self.today)
            if pos.member is not None and pos.cursor == s.cursor and pos.question.id in pos.member
        ]
        if s.cursor > 0:
            options.append(Option(REMOVE_MEMBER, "edit.remove_member"))
        options.append(Option(BACK, "edit.back"))
        self.say("edit.member_menu", tuple(options), n=s.cursor + 1)

    def on_member_menu(self, event: ev.Event) -> None:
        s = self.s
        pick = _picked(event) or ""
        member = s.members[s.cursor]
        if pick == BACK:
            self.fire("back", EDIT_MENU)
            self.show_edit_menu()
        elif pick == REMOVE_MEMBER and s.cursor > 0:
            s.members.pop(s.cursor)
            s.answers["household_size"] = len(s.members)
            s.cursor = 0
            self.fire("pick", SUMMARY)
            self.show_summary()
        elif pick.startswith("q:") and pick[2:] in self.e.questions and pick[2:].split(".", 1)[1] in member:
            self.fire("pick", pick[2:])
            self.prompt()
        else:
            self.say("error.choice.invalid")
            self.show_member_menu()

    # ------------------------------------------------------------------ commands

    def on_command(self, command: ev.Command) -> None:
        s = self.s
        name = command.name.lower()
        if name == "start":
            if s.final:
                self.restart()
                self.start()
            elif s.state == NEW:
                self.start()
            else:
                self.say("command.welcome_back")
                self.reask()
        elif name == "help":
            self.say("command.help")
            self.reask()
        elif name == "human":
            self.request_human("resident_request")
            self.say("human.recorded")
            self.reask()
        elif name == "status":
            self.out.append(LookupStatus())
        elif name == "offers":
            choice = command.arg.strip().lower()
            if choice in ("off", "on"):
                self.out.append(SetOffers(choice == "on"))
                self.say(f"command.offers_{choice}")
            else:
                self.say("command.offers_usage")
            if not s.final and s.state != NEW:
                self.reask()
        elif s.final:
            self.say("command.nothing_in_progress")
        elif name == "back":
            self.go_back()
        elif name == "cancel":
            if s.state == NEW:
                self.say("command.nothing_in_progress")
                self.start()
                return
            if s.state != CANCEL_CONFIRM:
                s.resume = [s.state, s.cursor]
                self.fire("cancel", CANCEL_CONFIRM)
            self.reask()
        elif name == "language":
            self.detour_to_language()
        else:
            self.say("command.unknown", name=command.name)
            self.reask()

    def go_back(self) -> None:
        s = self.s
        before = self.e.previous(s, self.today) if s.state in self.e.questions or s.state == SUMMARY else None
        if before is None or not has_edge(self.e.machine, s.state, "back", before.state):
            if s.state == EDIT_MENU:
                self.fire("back", SUMMARY)
            elif s.state == MEMBER_MENU:
                self.fire("back", EDIT_MENU)
            else:
                self.say("command.back_unavailable")
            self.reask()
            return
        self.fire("back", before.state)
        s.cursor = before.cursor
        self.reask()

    def detour_to_language(self) -> None:
        s = self.s
        first = next(iter(self.e.questions))
        if first != "language" or s.state in ("language", CANCEL_CONFIRM):
            self.reask()
            return
        s.resume = [s.state, s.cursor]
        self.fire("start" if s.state == NEW else "language", "language")
        s.cursor = 0
        self.prompt()

    def on_cancel_confirm(self, event: ev.Event) -> None:
        s = self.s
        pick = _picked(event)
        if pick == YES:
            self.fire("cancel", CANCELLED)
            self.out.append(DiscardData(tuple(s.documents)))
            self.wipe()
            self.say("cancel.done")
        elif pick == NO:
            self.return_from_detour()
        else:
            self.say("error.choice.invalid")
            self.reask()

    def return_from_detour(self) -> None:
        s = self.s
        state, cursor = s.resume or [SUMMARY, 0]
        s.resume = None
        self.fire("resume", state)
        s.cursor = cursor
        self.reask()

    # ------------------------------------------------------------------ results of effects

    def on_result(self, event: ev.Event) -> None:
        s = self.s
        expected = s.state == SUMMARY or s.state in self.e.flow.lookup_after
        if not isinstance(event, ev.StatusListed) and not expected:
            return  # a result that arrives late, after the session moved on, changes nothing
        if isinstance(event, ev.OpenApplicationFound):
            self.fire("duplicate", DUPLICATE)
            self.out.append(DiscardData(tuple(s.documents)))
            self.wipe()
            s.number = event.number
            self.say(f"{self.e.flow.name}.duplicate", number=event.number, status=event.status)
        elif isinstance(event, ev.NoOpenApplication):
            if s.state != SUMMARY:
                self.advance()
        elif isinstance(event, ev.ApplicationSubmitted) and s.state == SUMMARY:
            self.fire("confirm", SUBMITTED)
            self.wipe()
            s.number = event.number
            self.say(f"{self.e.flow.name}.receipt", number=event.number, review_by=event.review_by)
        elif isinstance(event, ev.SubmissionFailed) and s.state == SUMMARY:
            # Every answer stays: "try again" is the summary's confirm, a change goes to the edit menu.
            self.say("submission.failed", (Option(CONFIRM, "submission.retry"), Option(CHANGE, "summary.change")))
        elif isinstance(event, ev.StatusListed):
            self.say("status.list", applications=list(event.applications))
            if not s.final and s.state != NEW:
                self.reask()

    # ------------------------------------------------------------------ time

    def expired(self) -> bool:
        s = self.s
        if s.state == NEW or s.final:
            return False
        last = datetime.fromisoformat(s.last_active_at)
        return self.now - last >= self.settings.expire_after

    def expire(self) -> None:
        self.fire("expire", EXPIRED)
        self.out.append(DiscardData(tuple(self.s.documents)))
        self.wipe()
        self.say(f"{self.e.flow.name}.expired", days=self.settings.expire_after.days)

    def on_tick(self) -> None:
        s = self.s
        if s.final or s.state == NEW:
            self.schedule()
            return
        if self.expired():
            self.expire()
        elif not s.reminded:
            last = datetime.fromisoformat(s.last_active_at)
            if self.now - last >= self.settings.reminder_after:
                s.reminded = True
                self.say(f"{self.e.flow.name}.reminder", **self.given_params())
                self.reask()
        self.schedule()

    def restart(self) -> None:
        """Start over with a new session in the same language."""
        fresh = self.e.new_session(self.now, self.s.locale, self.given())
        fresh.turns = self.s.turns
        self.s = fresh

    def wipe(self) -> None:
        """Forget the answers: they live on in the stored application, or are not to be kept.

        What the flow was started with stays: it is not the resident's answer but what the
        flow is about, and a restart needs it.
        """
        s = self.s
        s.answers = self.given() | ({"language": s.locale} if s.locale else {})
        s.members, s.documents, s.selection, s.resume, s.to_confirm = [], [], None, None, []
        s.cursor, s.invalid = 0, 0

    def on_final(self, event: ev.Event) -> None:
        if self.s.state == SUBMITTED:
            self.say("final.submitted", number=self.s.number)
            return
        self.restart()
        self.start()


def _language_answered(turn: _Turn, value: Any) -> bool:
    s = turn.s
    s.locale = value
    turn.out.append(SetLocale(value))
    if s.resume is not None and s.resume[0] != NEW:
        turn.return_from_detour()
        return True
    s.resume = None
    return False


def _consent_answered(turn: _Turn, value: Any) -> bool:
    if value != "decline":
        turn.s.answers["consent_at"] = turn.now.isoformat()
        return False
    turn.fire("decline", DECLINED)
    turn.out.append(DiscardData(tuple(turn.s.documents)))
    turn.wipe()
    turn.say(f"{turn.e.flow.name}.declined")
    return True


def _household_size_answered(turn: _Turn, value: Any) -> bool:
    members = turn.s.members
    del members[value:]
    members.extend({} for _ in range(value - len(members)))
    return False


def mentions_crisis(text: str, words: tuple[str, ...]) -> bool:
    """Whether ``text`` contains one of the crisis words or phrases, ignoring case and spacing."""
    if not words:
        return False
    folded = "".join(text.split()).casefold()
    return any(word in folded for word in words)


def _urgent_answered(turn: _Turn, value: Any) -> bool:
    if value:
        # Someone without food, shelter or safety today should not wait for the form to end.
        turn.request_human("urgent_need")
        turn.say(f"{turn.e.flow.name}.urgent_flagged")
    return False


_ON_ANSWER = {
    "urgent": _urgent_answered,
    "language": _language_answered,
    "consent": _consent_answered,
    "household_size": _household_size_answered,
}

_MENUS = {
    SUMMARY: _Turn.on_summary,
    EDIT_MENU: _Turn.on_edit_menu,
    MEMBER_MENU: _Turn.on_member_menu,
    CANCEL_CONFIRM: _Turn.on_cancel_confirm,
}

_RESULTS = (
    ev.OpenApplicationFound, ev.NoOpenApplication, ev.ApplicationSubmitted, ev.SubmissionFailed, ev.StatusListed
)
_PENDING = object()
_INVALID = object()
_MISSING = object()


def _confirm_key(state: str, cursor: int) -> str:
    return f"{state}@{cursor}"


def _picked(event: ev.Event) -> str | None:
    if isinstance(event, ev.Choice):
        return event.value
    if isinstance(event, ev.Text):
        return event.text.strip()
    return None


def _shown(question_id: str, value: Any) -> str:
    """How a stored answer is shown back on a "keep" button; ID numbers are masked."""
    if isinstance(value, dict):  # an identity: an ID number, or only an age
        value = value.get("id_number") or value.get("age")
        question_id = "id_number"
    if question_id.endswith("id_number") and isinstance(value, str) and len(value) > 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return str(value)
