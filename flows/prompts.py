"""What the resident is shown: the current question with its buttons, the summary, the menus."""

from __future__ import annotations

from flows.buttons import (
    ADD_MEMBER,
    BACK,
    CHANGE,
    CHANGE_PREFIX,
    CONFIRM,
    DONE,
    KEEP,
    MEMBER_PREFIX,
    NO,
    QUESTION_PREFIX,
    REMOVE_MEMBER,
    SKIP,
    YES,
)
from flows.confirmation import show as show_proposal
from flows.flow import Ask, Kind, Question
from flows.intents import Option, Reply
from flows.session import SessionState
from flows.turn import Turn


def reask(turn: Turn) -> None:
    """Ask the current question again (or show the current menu)."""
    state = turn.session.state
    if state == SessionState.NEW:
        start(turn)
    elif state == SessionState.SUMMARY:
        show_summary(turn)
    elif state == SessionState.EDIT_MENU:
        show_edit_menu(turn)
    elif state == SessionState.MEMBER_MENU:
        show_member_menu(turn)
    elif state == SessionState.CANCEL_CONFIRM:
        turn.say("cancel.confirm", (Option(YES, "cancel.yes"), Option(NO, "cancel.no")))
    elif turn.session.final:
        turn.say(f"final.{state}", number=turn.session.number)
    elif not show_proposal(turn):  # an answer awaiting confirmation is asked about again
        prompt(turn)


def start(turn: Turn) -> None:
    """Greet and ask the first question that applies."""
    turn.say(f"{turn.flow_name}.welcome", **turn.given_params())
    first = turn.engine.first_missing(turn.session, turn.now)
    assert first is not None
    turn.fire("start", first.state)
    turn.session.cursor = first.cursor
    prompt(turn)


def return_from_detour(turn: Turn) -> None:
    """Back to where the resident was before /cancel or /language took them aside."""
    session = turn.session
    state, cursor = session.resume or [SessionState.SUMMARY, 0]
    session.resume = None
    turn.fire("resume", state)
    session.cursor = cursor
    reask(turn)


def prompt(turn: Turn, extra: tuple[Option, ...] = ()) -> None:
    """The current question, its options and, when it has one, the answer given before."""
    question = turn.question()
    assert question is not None
    session = turn.session
    ask = turn.ask()
    params = dict(question.params(ask)) if question.params else {}
    if turn.member() is not None:
        params.setdefault("n", session.cursor + 1)
    options: list[Option] = []
    current = turn.store().get(question.id)
    if question.kind is Kind.MULTI:
        if session.selection is None:
            session.selection = list(current or (question.preselect(ask) if question.preselect else ()))
        for value in options_of(question, ask):
            key, label_params = label(turn, question, value, ask)
            options.append(Option(value, key, label_params, selected=value in session.selection))
        options.append(Option(DONE, "common.done"))
        params["selected"] = [label(turn, question, value, ask) for value in session.selection]
    elif question.kind is Kind.FILES:
        params["count"] = len(session.documents)
        options.append(Option(DONE, "common.done" if session.documents else "common.skip"))
    else:
        for value in options_of(question, ask):
            key, label_params = label(turn, question, value, ask)
            options.append(Option(value, key, label_params, selected=(value == current)))
        if current is not None and question.kind is Kind.TEXT:
            shown = question.shown(current) if question.shown else str(current)
            options.append(Option(KEEP, "common.keep", {"value": shown}))
        if question.optional and question.kind is Kind.TEXT and not extra:
            options.append(Option(SKIP, "common.skip"))
    free_text = question.kind is Kind.TEXT or (question.kind is Kind.MULTI and question.text_answers is not None)
    turn.out.append(
        Reply(
            f"{prefix(turn, question)}.prompt",
            params,
            tuple(options) + extra,
            question.request_contact,
            free_text,
            progress(turn) if turn.engine.flow.show_progress else None,
        )
    )


def progress(turn: Turn) -> tuple[int, int] | None:
    """The current question's number among those that apply, and how many apply, with today's answers."""
    session = turn.session
    engine = turn.engine
    loop = engine.loop
    if loop is not None and loop.size not in session.answers:
        # Before the household is counted, reckon with the applicant alone.
        session = session.copy()
        session.answers[loop.size] = 1
        session.members = [{}]
    here_question = turn.question()
    states = [
        (p.state, p.cursor)
        for p in engine.positions(session, turn.today)
        if p.question.counted or p.question is here_question
    ]
    here = (session.state, session.cursor if turn.in_loop() else 0)
    if here not in states:
        return None
    return states.index(here) + 1, len(states)


def options_of(question: Question, ask: Ask) -> tuple[str, ...]:
    return question.options(ask) if callable(question.options) else question.options


def label(turn: Turn, question: Question, value: str, ask: Ask) -> tuple[str, dict[str, object]]:
    """The message key and parameters of an option's label."""
    if question.option_labels:
        return question.option_labels(value, ask)
    return f"{prefix(turn, question)}.option.{value}", {}


def prefix(turn: Turn, question: Question) -> str:
    """Where a question's messages are in the catalog: ``<flow>.<id>``, ``<flow>.<loop>.<id>`` in a loop."""
    loop = turn.engine.loop
    if loop is not None and turn.in_loop():
        return f"{turn.flow_name}.{loop.id}.{question.id}"
    return f"{turn.flow_name}.{question.id}"


# ---------------------------------------------------------------------- summary and menus


def summary_ask(turn: Turn) -> Ask:
    return turn.engine.ask_for(turn.session, turn.today)


def show_summary(turn: Turn) -> None:
    ask = summary_ask(turn)
    flow = turn.engine.flow
    answers = turn.session.answers
    extras = flow.summary_extras(answers, ask) if flow.summary_extras else {}
    turn.session.group = None
    changes = tuple(
        Option(CHANGE_PREFIX + name, f"{flow.name}.group.{name}") for name, _ in flow.groups
    ) or (Option(CHANGE, "summary.change"),)
    turn.say(
        f"{flow.name}.summary",
        (Option(CONFIRM, "summary.confirm"), *changes),
        application=flow.build(answers, turn.session.members, ask),
        documents=len(turn.session.documents),
        **extras,
    )


def edit_options(turn: Turn) -> list[Option]:
    """What the edit menu offers: every answer that can be changed, or those of the summary part chosen."""
    session = turn.session
    engine = turn.engine
    group = engine.flow.group_states(session.group) if session.group else None
    options: list[Option] = []
    for position in engine.positions(session, turn.today):
        # The language has its own command, and consent is not an answer to change.
        editable = position.member is None and position.question.role is None
        if editable and position.state in session.answers and (group is None or position.state in group):
            options.append(Option(QUESTION_PREFIX + position.state, f"{engine.flow.name}.{position.state}.label"))
    loop = engine.loop
    if loop is None or (group is not None and loop.id not in group):
        return options
    for i, member in enumerate(session.members):
        described = loop.describe(member) if loop.describe else {}
        options.append(Option(f"{MEMBER_PREFIX}{i}", "edit.member", {"n": i + 1, **described}))
    if len(session.members) < turn.settings.max_members and (group is None or loop.size in group):
        options.append(Option(ADD_MEMBER, "edit.add_member"))
    return options


def show_edit_menu(turn: Turn) -> None:
    options = edit_options(turn)
    options.append(Option(BACK, "edit.back"))
    turn.say("edit.menu", tuple(options))


def show_member_menu(turn: Turn) -> None:
    session = turn.session
    assert turn.engine.loop is not None
    options = [
        Option(QUESTION_PREFIX + position.state, f"{turn.flow_name}.{position.state}.label")
        for position in turn.engine.positions(session, turn.today)
        if position.member is not None and position.cursor == session.cursor and position.question.id in position.member
    ]
    if session.cursor > 0:
        options.append(Option(REMOVE_MEMBER, "edit.remove_member"))
    options.append(Option(BACK, "edit.back"))
    turn.say("edit.member_menu", tuple(options), n=session.cursor + 1)
