"""Random conversations never crash the engine, always get a reply, never lose a confirmed answer."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows import events as ev
from flows.intake import INTAKE
from flows.intents import LookupOpenApplication, LookupStatus, Reply, SubmitApplication
from tests.flows.helpers import APPLICANT_ID, NOW, demo_engine

ENGINE = demo_engine()
QUESTIONS = INTAKE.questions()
MISSING = object()

TEXTS = [
    "1", "2", "3", "4", "5", "6", "a", "j", "0", "3000", "三千五", "-1", "张三", APPLICANT_ID, "13800138000",
    "x" * 5000, "",
]
CHOICES = [
    "agree", "decline", "self", "other", "family", "guardian", "hubin", "liuan", "none", "no_food",
    "healthy", "chronic", "disability", "1", "2", "none", "employed", "unemployed", "student", "spouse",
    "child", "pension", "one_home", "more", "own", "renting", "illness", "_done", "_skip", "_human",
    "_keep", "_confirm", "_change", "_yes", "_no", "_back", "q:savings", "q:for_whom", "q:household_size",
    "m:0", "m:1", "q:members.work", "_add_member", "_remove_member", "zh_CN", "en",
]
COMMANDS = ["start", "help", "back", "cancel", "language", "status", "human", "nonsense"]

resident_events = st.one_of(
    st.text(max_size=40).map(ev.Text),
    st.sampled_from(TEXTS).map(ev.Text),
    st.sampled_from(CHOICES).map(ev.Choice),
    st.sampled_from(COMMANDS).map(ev.Command),
    st.just(ev.Unsupported("sticker")),
    st.builds(ev.FileUpload, st.sampled_from(["d1", "d2"]), st.just("bill.png"), st.just(10)),
)
events = st.one_of(resident_events, st.just(ev.Tick()))


VALID_TEXT = {
    "name": "张三",
    "proxy_name": "李四",
    "id_number": APPLICANT_ID,
    "mobile": "13800138000",
    "household_size": "2",
    "members.identity": "40",
    "vehicles": "0",
    "homes": "1",
    "account": "生病了",
}


def valid_move(session, last_options, pick: int):
    """An answer a cooperative resident would give now: one of the offered options, or typed text."""
    question = QUESTIONS.get(session.state)
    if question is not None and question.kind.value == "text":
        return ev.Text(VALID_TEXT.get(session.state, "3000"))
    if question is not None and question.kind.value == "multi" and pick % 3 == 0:
        return ev.Choice("_done")
    if last_options:
        # Usually the first option (which moves forward), sometimes any other.
        return ev.Choice(last_options[0 if pick < 30 else pick % len(last_options)])
    return ev.Command("start")


def run_effects(session, intents, now, open_found: bool):
    """What the runner does: execute effects and feed their results back."""
    queue = list(intents)
    done = []
    while queue:
        intent = queue.pop(0)
        if isinstance(intent, LookupOpenApplication):
            result = ev.OpenApplicationFound("YM0", "submitted") if open_found else ev.NoOpenApplication()
        elif isinstance(intent, SubmitApplication):
            result = ev.ApplicationSubmitted("YM1", "2026-12-09")
        elif isinstance(intent, LookupStatus):
            result = ev.StatusListed(())
        else:
            done.append(intent)
            continue
        session, more = ENGINE.step(session, result, now)
        queue = more + queue
    return session, done


def may_change(before, after, key) -> bool:
    """Whether a confirmed answer may change or go in this step."""
    if after.final or after.state == "new" or key == "consent_at":
        return True
    question = QUESTIONS.get(before.state)
    if before.state == key:
        return True
    if question is not None and (key in question.clears or question.text_answers == key):
        return True
    # Adding or removing a household member changes the household size.
    return key == "household_size" and before.state in ("edit_menu", "member_menu")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    script=st.lists(st.tuples(events, st.integers(0, 3), st.integers(0, 9), st.integers(0, 50)),
                    min_size=10, max_size=150),
    locale=st.sampled_from([None, "zh_CN", "en"]),
    open_found=st.integers(0, 9).map(lambda n: n == 0),
)
def test_random_conversations(script, locale, open_found):
    session = ENGINE.new_session(NOW, locale)
    now = NOW
    options: list[str] = []
    for noise, hours, dice, pick in script:
        now += timedelta(hours=hours)
        # Mostly cooperative answers, so that conversations get deep; the rest is noise.
        event = valid_move(session, options, pick) if dice < 8 else noise
        before = session
        session, intents = ENGINE.step(session, event, now)
        session, intents = run_effects(session, intents, now, open_found)
        replies = [i for i in intents if isinstance(i, Reply) and i.options]
        if replies:
            options = [o.value for o in replies[-1].options if o.value not in ("_human", "_change")]
        if not isinstance(event, ev.Tick):
            assert any(isinstance(i, Reply) for i in intents), f"no reply to {event} in {before.state}"
        for key, value in before.answers.items():
            if session.answers.get(key, MISSING) != value:
                assert may_change(before, session, key), f"{key} lost in {before.state} on {event}"
        assert session.to_dict() == type(session).from_dict(session.to_dict()).to_dict()
