"""The engine told that a submission failed: it says so and keeps every answer for another try."""

from __future__ import annotations

from flows import events as ev
from flows.intents import Reply, SubmitApplication
from tests.flows.helpers import APPLICANT_ID, NOW, demo_engine
from tests.flows.test_engine import at_mobile, keys, play


def at_summary(engine):
    session, _ = at_mobile(engine)
    session, _ = play(engine, session, ev.Text("13800138000"), ev.Text("hubin"))
    session, _ = play(engine, session, ev.Choice("none"), ev.Text("1"), ev.Choice("healthy"), ev.Choice("unemployed"),
                          ev.Choice("0"))  # no income, not even odd jobs
    session, _ = play(engine, session, ev.Choice("none"), ev.Text("0"), ev.Choice("none"), ev.Text("0"))
    session, _ = play(engine, session, ev.Choice("renting"), ev.Text("1500"), ev.Text("房租太贵"))
    assert session.state == "summary"
    return session


def test_a_failed_submission_offers_to_try_again_with_every_answer_kept():
    engine = demo_engine()
    session = at_summary(engine)
    after, intents = engine.step(session, ev.SubmissionFailed(), NOW)
    assert keys(intents) == ["submission.failed"]
    (said,) = [i for i in intents if isinstance(i, Reply)]
    assert [(o.value, o.key) for o in said.options] == [("_confirm", "submission.retry"), ("_change", "summary.change")]
    assert after.state == "summary" and after.answers == session.answers and after.members == session.members
    # "Try again" submits the same application.
    _, intents = engine.step(after, ev.Choice(said.options[0].value), NOW)
    (submit,) = [i for i in intents if isinstance(i, SubmitApplication)]
    assert submit.payload["applicant"]["id_number"] == APPLICANT_ID


def test_a_failure_that_arrives_after_the_session_moved_on_changes_nothing():
    engine = demo_engine()
    session, _ = at_mobile(engine)
    after, intents = engine.step(session, ev.SubmissionFailed(), NOW)
    assert after.state == "mobile" and keys(intents) == []
