"""The state machine of a flow, built once from its data, and its Mermaid diagram.

The engine decides *where* a resident goes next from the answers (the first question
that applies and is unanswered); the machine decides whether that move is one the
flow declares. A move with no declared edge is a bug in the flow and raises.
"""

from __future__ import annotations

from functools import partial

from transitions import EventData, Machine

from flows.flow import Flow, Loop, Question, Role
from flows.session import FINAL_STATES, Session, SessionState

NEW, SUMMARY, SUBMITTED = SessionState.NEW, SessionState.SUMMARY, SessionState.SUBMITTED
EDIT_MENU, MEMBER_MENU, CANCEL_CONFIRM = SessionState.EDIT_MENU, SessionState.MEMBER_MENU, SessionState.CANCEL_CONFIRM

Edge = tuple[str, str, str]  # (source, trigger, destination)


class FlowError(RuntimeError):
    """The engine asked for a move the flow does not declare."""


def _sequence(flow: Flow) -> list[tuple[str, Question, Loop | None]]:
    seq: list[tuple[str, Question, Loop | None]] = []
    for item in flow.items:
        if isinstance(item, Loop):
            seq += [(f"{item.id}.{q.id}", q, item) for q in item.questions]
        else:
            seq.append((item.id, item, None))
    return seq


def question_states(flow: Flow) -> tuple[str, ...]:
    """The states of the flow's questions in the order they are asked (a loop's as ``loop.question``)."""
    return tuple(name for name, _, _ in _sequence(flow))


def _chain(seq: list[tuple[str, Question, Loop | None]], start: int) -> list[str]:
    """States reachable from ``start`` by skipping questions that may not apply."""
    found: list[str] = []
    for name, question, _ in seq[start:]:
        found.append(name)
        if question.when is None:
            return found
    return [*found, SUMMARY]


def flow_edges(flow: Flow) -> set[Edge]:
    """Every move the flow allows."""
    seq = _sequence(flow)
    names = [name for name, _, _ in seq]
    edges: set[Edge] = set()
    edges |= {(NEW, "start", dst) for dst in _chain(seq, 0)}
    for i, (name, _, loop) in enumerate(seq):
        nexts = _chain(seq, i + 1)
        if loop is not None:
            # After any member question the next member's questions may follow.
            first = next(k for k, (_, _, lp) in enumerate(seq) if lp is loop)
            nexts += _chain(seq, first)
        edges |= {(name, "answer", dst) for dst in nexts}
        edges |= {(dst, "back", name) for dst in nexts}
        edges.add((name, "review", SUMMARY))
    hubs = (SUMMARY, CANCEL_CONFIRM, names[0])
    for hub in hubs:
        edges |= {(hub, "resume", dst) for dst in (*names, SUMMARY) if dst != hub}
    edges |= {(SUMMARY, "change", EDIT_MENU), (SUMMARY, "confirm", SUBMITTED)}
    edges |= {(EDIT_MENU, "pick", name) for name, _, loop in seq if loop is None}
    edges |= {(EDIT_MENU, "pick", MEMBER_MENU), (EDIT_MENU, "pick", SUMMARY), (MEMBER_MENU, "pick", SUMMARY)}
    edges |= {(MEMBER_MENU, "pick", name) for name, _, loop in seq if loop is not None}
    edges |= {(EDIT_MENU, "back", SUMMARY), (MEMBER_MENU, "back", EDIT_MENU)}
    for name in flow.states_with(Role.CONSENT):
        # A flow that asks for consent ends when it is declined (one consented before does not ask).
        edges.add((name, "decline", SessionState.DECLINED))
    for name in flow.lookup_after:
        edges.add((name, "duplicate", SessionState.DUPLICATE))
    edges.add((SUMMARY, "duplicate", SessionState.DUPLICATE))
    if flow.starts_with_language():
        # /language: a detour from anywhere to the language question, then "resume" back.
        for state in (*names[1:], SUMMARY, EDIT_MENU, MEMBER_MENU):
            edges.add((state, "language", names[0]))
    for state in (*names, SUMMARY, EDIT_MENU, MEMBER_MENU):
        edges.add((state, "cancel", CANCEL_CONFIRM))
    edges.add((CANCEL_CONFIRM, "cancel", SessionState.CANCELLED))
    for state in (*names, SUMMARY, EDIT_MENU, MEMBER_MENU, CANCEL_CONFIRM):
        edges.add((state, "expire", SessionState.EXPIRED))
    # Plain strings: the library reads an enum state by its member name, not its value.
    return {(str(src), trigger, str(dst)) for src, trigger, dst in edges}


def states_of(flow: Flow) -> list[str]:
    names = [name for name, _, _ in _sequence(flow)]
    return [str(s) for s in (NEW, *names, SUMMARY, EDIT_MENU, MEMBER_MENU, CANCEL_CONFIRM, *sorted(FINAL_STATES))]


def _is_target(dest: str, event: EventData) -> bool:
    target: object = next(iter(event.args))
    return target == dest


def _entered(event: EventData) -> None:
    # A new question starts with a clean slate of invalid answers and selections.
    model = event.model
    assert isinstance(model, Session)
    model.invalid = 0
    model.selection = None
    model.pending = None


def build_machine(flow: Flow) -> Machine:
    """One machine per flow, shared by every session (sessions are passed in as models)."""
    states = [{"name": s, "on_enter": [_entered]} for s in states_of(flow)]
    machine = Machine(model=None, states=states, initial=NEW, auto_transitions=False, send_event=True,
                      ignore_invalid_triggers=True)
    for src, trigger, dst in sorted(flow_edges(flow)):
        machine.add_transition(trigger, src, dst, conditions=[partial(_is_target, dst)])
    return machine


def machine_edges(machine: Machine) -> set[Edge]:
    """The edges a built machine actually has (read back from the library)."""
    found: set[Edge] = set()
    for trigger, event in machine.events.items():
        for src, transitions in event.transitions.items():
            found |= {(src, trigger, t.dest) for t in transitions if t.dest is not None}
    return found


def fire(machine: Machine, model: object, trigger: str, target: str) -> None:
    """Move ``model`` to ``target`` along a declared ``trigger`` edge, or raise FlowError."""
    event = machine.events.get(trigger)
    if event is None or not event.trigger(model, target):
        raise FlowError(f"no {trigger!r} edge from {getattr(model, 'state', '?')!r} to {target!r}")


def has_edge(machine: Machine, source: str, trigger: str, target: str) -> bool:
    event = machine.events.get(trigger)
    if event is None:
        return False
    return any(t.dest == target for t in event.transitions.get(source, ()))


def mermaid(flow: Flow) -> str:
    """The flow's diagram, one line per edge, in a stable order."""
    lines = ["stateDiagram-v2", f"    %% {flow.name} flow, version {flow.version}. Generated: yimen flows diagram"]
    ident = {s: s.replace(".", "__") for s in states_of(flow)}
    lines.append(f"    [*] --> {NEW}")
    for src, trigger, dst in sorted(flow_edges(flow)):
        lines.append(f"    {ident[src]} --> {ident[dst]} : {trigger}")
    for final in sorted(FINAL_STATES):
        lines.append(f"    {final} --> [*]")
    return "\n".join(lines) + "\n"


def parse_mermaid(text: str) -> set[Edge]:
    """The edges a Mermaid state diagram declares (the inverse of ``mermaid``)."""
    edges: set[Edge] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if "-->" not in line or line.startswith("%%") or "[*]" in line:
            continue
        left, _, rest = line.partition("-->")
        dst, _, trigger = rest.partition(":")
        edges.add((left.strip().replace("__", "."), trigger.strip(), dst.strip().replace("__", ".")))
    return edges
