"""Results of effects, fed back by the runner in the same turn: a lookup, a submission, the status list."""

from __future__ import annotations

from flows import events as ev
from flows.answers import advance
from flows.buttons import CHANGE, CONFIRM
from flows.intents import DiscardData, Option
from flows.prompts import reask
from flows.session import SessionState
from flows.turn import Turn

Result = (
    ev.OpenApplicationFound | ev.NoOpenApplication | ev.ApplicationSubmitted | ev.SubmissionFailed | ev.StatusListed
)
RESULTS = (ev.OpenApplicationFound, ev.NoOpenApplication, ev.ApplicationSubmitted, ev.SubmissionFailed, ev.StatusListed)


def on_result(turn: Turn, event: Result) -> None:
    session = turn.session
    flow_name = turn.flow_name
    at_summary = session.state == SessionState.SUMMARY
    expected = at_summary or session.state in turn.engine.flow.lookup_after
    if not isinstance(event, ev.StatusListed) and not expected:
        return  # a result that arrives late, after the session moved on, changes nothing
    if isinstance(event, ev.OpenApplicationFound):
        turn.fire("duplicate", SessionState.DUPLICATE)
        turn.out.append(DiscardData(tuple(session.documents)))
        turn.wipe()
        session.number = event.number
        turn.say(f"{flow_name}.duplicate", number=event.number, status=event.status)
    elif isinstance(event, ev.NoOpenApplication):
        if not at_summary:
            advance(turn)
    elif isinstance(event, ev.ApplicationSubmitted) and at_summary:
        turn.fire("confirm", SessionState.SUBMITTED)
        turn.wipe()
        session.number = event.number
        turn.say(f"{flow_name}.receipt", number=event.number, review_by=event.review_by)
    elif isinstance(event, ev.SubmissionFailed) and at_summary:
        # Every answer stays: "try again" is the summary's confirm, a change goes to the edit menu.
        turn.say("submission.failed", (Option(CONFIRM, "submission.retry"), Option(CHANGE, "summary.change")))
    elif isinstance(event, ev.StatusListed):
        turn.say("status.list", applications=list(event.applications))
        if not session.final and session.state != SessionState.NEW:
            reask(turn)
