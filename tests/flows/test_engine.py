"""The engine on its own: pure, deterministic, and careful with what it is given."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from flows import events as ev
from flows.flow import Kind, Question, Settings
from flows.intake import INTAKE
from flows.intents import (
    DiscardData,
    LookupOpenApplication,
    Reply,
    RequestHuman,
    ScheduleReminder,
    SubmitApplication,
)
from flows.reply import REPLY
from flows.session import Session
from flows.volunteer import VOLUNTEER
from tests.flows.helpers import APPLICANT_ID, NOW, demo_engine


def keys(intents) -> list[str]:
    return [i.key for i in intents if isinstance(i, Reply)]


def play(engine, session, *events, now=NOW):
    out = []
    for event in events:
        session, intents = engine.step(session, event, now)
        out = intents
    return session, out


def at_mobile(engine):
    session = engine.new_session(NOW, "en")
    session, intents = play(
        engine, session,
        ev.Command("start"), ev.Choice("self"), ev.Text("张三"), ev.Text(APPLICANT_ID),
    )
    assert [i for i in intents if not isinstance(i, ScheduleReminder)] == [LookupOpenApplication((APPLICANT_ID,))]
    return play(engine, session, ev.NoOpenApplication())


def test_step_leaves_the_given_session_untouched():
    engine = demo_engine()
    session = engine.new_session(NOW, "en")
    before = session.to_dict()
    after, _ = engine.step(session, ev.Command("start"), NOW)
    assert session.to_dict() == before
    assert after.state == "consent"


def test_same_inputs_give_the_same_outputs():
    engine = demo_engine()
    runs = [at_mobile(engine) for _ in range(2)]
    assert runs[0][0].to_dict() == runs[1][0].to_dict()
    assert runs[0][1] == runs[1][1]


def test_every_turn_schedules_the_reminder_and_expiry_from_now():
    engine = demo_engine()
    _, intents = at_mobile(engine)
    schedule = [i for i in intents if isinstance(i, ScheduleReminder)]
    assert schedule == [
        ScheduleReminder((NOW + timedelta(hours=24)).isoformat(), (NOW + timedelta(days=30)).isoformat())
    ]


def test_unsupported_media_and_overlong_text_get_an_explanation_and_the_question_again():
    engine = demo_engine()
    session, _ = at_mobile(engine)
    session, intents = engine.step(session, ev.Unsupported("sticker"), NOW)
    assert keys(intents) == ["error.unsupported", "intake.mobile.prompt"]
    session, intents = engine.step(session, ev.Text("1" * 4097), NOW)
    assert keys(intents) == ["error.text.too_long", "intake.mobile.prompt"]
    assert "mobile" not in session.answers


def test_a_result_that_arrives_after_the_session_moved_on_changes_nothing():
    engine = demo_engine()
    session, _ = at_mobile(engine)
    after, intents = engine.step(session, ev.ApplicationSubmitted("YM1", "2026-12-09"), NOW)
    assert after.state == "mobile" and keys(intents) == []


def test_three_invalid_answers_ask_for_a_person_once_and_offer_a_skip_only_when_optional():
    engine = demo_engine()
    session, _ = at_mobile(engine)
    humans = []
    for _ in range(4):
        session, intents = engine.step(session, ev.Text("nope"), NOW)
        humans += [i for i in intents if isinstance(i, RequestHuman)]
    assert humans == [RequestHuman("invalid_answers", "mobile")]
    prompt = [i for i in intents if isinstance(i, Reply)][-1]
    assert [o.value for o in prompt.options] == ["_human"]


def test_files_sent_early_are_kept_for_the_application():
    engine = demo_engine()
    session, _ = at_mobile(engine)
    session, intents = engine.step(session, ev.FileUpload("doc-1", "bill.png", 100), NOW)
    assert keys(intents) == ["documents.kept_early", "intake.mobile.prompt"]
    assert session.documents == ["doc-1"]


def test_cancelling_discards_answers_and_documents():
    engine = demo_engine()
    session, _ = at_mobile(engine)
    session, _ = engine.step(session, ev.FileUpload("doc-1", "bill.png", 100), NOW)
    session, _ = play(engine, session, ev.Command("cancel"))
    session, intents = engine.step(session, ev.Choice("_yes"), NOW)
    assert DiscardData(("doc-1",)) in intents
    assert session.state == "cancelled"
    assert session.answers == {"language": "en"} and session.documents == []


def _v2_flow():
    """The intake flow with a question added before the mobile number and savings renamed."""
    items = list(INTAKE.items)
    at = next(i for i, q in enumerate(items) if getattr(q, "id", None) == "mobile")
    items.insert(at, Question("preferred_name", Kind.TEXT))
    items = [dataclasses.replace(q, id="deposits") if getattr(q, "id", None) == "savings" else q for q in items]

    def rename(answers):
        answers = dict(answers)
        if "savings" in answers:
            answers["deposits"] = answers.pop("savings")
        return answers

    return dataclasses.replace(INTAKE, version=INTAKE.version + 1, items=tuple(items),
                               migrations={INTAKE.version: rename})


def test_a_session_stored_by_an_older_flow_resumes_at_the_first_missing_answer():
    old = demo_engine()
    session, _ = at_mobile(old)
    session, _ = play(old, session, ev.Text("13800138000"))
    stored = Session.from_dict(session.to_dict())
    stored.answers["savings"] = "100.00"
    new = demo_engine(flow=_v2_flow())
    resumed, intents = new.step(stored, ev.Command("start"), NOW)
    assert resumed.version == INTAKE.version + 1
    assert resumed.state == "preferred_name"
    assert resumed.answers["deposits"] == "100.00" and "savings" not in resumed.answers
    assert resumed.answers["mobile"] == "13800138000"
    assert keys(intents) == ["command.welcome_back", "intake.preferred_name.prompt"]


def test_expiry_when_the_resident_writes_after_thirty_days():
    engine = demo_engine(Settings(expire_after=timedelta(days=30)))
    session, _ = at_mobile(engine)
    session, intents = engine.step(session, ev.Text("13800138000"), NOW + timedelta(days=30))
    assert keys(intents) == ["intake.expired", "intake.welcome", "intake.consent.prompt"]
    assert "id_number" not in session.answers


def test_submission_carries_the_whole_application():
    engine = demo_engine()
    session, _ = at_mobile(engine)
    answers = ["13800138000", "hubin"]
    session, _ = play(engine, session, *(ev.Text(a) for a in answers))
    session, _ = play(engine, session, ev.Choice("none"), ev.Text("1"), ev.Choice("healthy"), ev.Choice("unemployed"),
                          ev.Choice("0"))  # no income, not even odd jobs
    session, _ = play(engine, session, ev.Choice("none"), ev.Text("0"), ev.Choice("none"), ev.Text("0"))
    session, _ = play(engine, session, ev.Choice("renting"), ev.Text("1500"), ev.Text("房租太贵"))
    assert session.state == "summary"
    session, intents = engine.step(session, ev.Choice("_confirm"), NOW)
    (submit,) = [i for i in intents if isinstance(i, SubmitApplication)]
    payload = submit.payload
    assert payload["applicant"]["id_number"] == APPLICANT_ID
    assert payload["housing"] == {"status": "renting", "monthly_rent": "1500.00"}
    assert payload["hardship"] == {"types": ["unemployment"], "account": "房租太贵"}
    assert payload["members"][0]["age"] == 46


def test_crisis_words_bring_a_person_in_at_once_and_the_answer_still_counts():
    from flows.crisis import load_crisis_words, mentions_crisis
    from flows.flow import Settings
    from flows.intents import Reply, RequestHuman
    from tests.flows.helpers import NOW, demo_engine

    words = load_crisis_words()
    assert mentions_crisis("我真的 不 想 活 了", words) and mentions_crisis("He BEATS ME every night", words)
    assert not mentions_crisis("我想找工作", words) and not mentions_crisis("skills: cooking", words)
    engine = demo_engine(Settings(crisis_words=words))
    session, _ = engine.step(engine.new_session(NOW, "zh_CN"), ev.Command("start", ""), NOW)
    session, _ = engine.step(session, ev.Choice("self"), NOW)
    assert session.state == "name"
    after, intents = engine.step(session, ev.Text("张三 家里没饭吃"), NOW)
    assert RequestHuman("crisis_words", "name") in intents
    assert [i.key for i in intents if isinstance(i, Reply)][0] == "human.crisis"
    assert after.answers["name"] == "张三 家里没饭吃" and after.state != "name"


def test_offers_are_turned_off_and_on_by_command_anywhere():
    from flows.intents import Reply, SetOffers
    from tests.flows.helpers import NOW, demo_engine

    engine = demo_engine()
    session, _ = engine.step(engine.new_session(NOW, "en"), ev.Command("start", ""), NOW)
    state = session.state
    session, intents = engine.step(session, ev.Command("offers", "off"), NOW)
    assert SetOffers(False) in intents and session.state == state
    keys = [i.key for i in intents if isinstance(i, Reply)]
    assert keys[0] == "command.offers_off" and len(keys) > 1  # then the question again
    _, intents = engine.step(session, ev.Command("offers", "ON"), NOW)
    assert SetOffers(True) in intents
    _, intents = engine.step(session, ev.Command("offers", "maybe"), NOW)
    assert not any(isinstance(i, SetOffers) for i in intents)
    assert [i.key for i in intents if isinstance(i, Reply)][0] == "command.offers_usage"


def test_a_new_session_can_start_with_what_the_starter_knows():
    engine = demo_engine(flow=REPLY)
    assert engine.new_session(NOW, "en", {"number": "YM1"}).answers == {"number": "YM1", "language": "en"}
    assert engine.new_session(NOW, "fr", {"number": "YM1"}).answers == {"number": "YM1"}
    assert demo_engine().new_session(NOW, "en").answers == {"language": "en"}


def test_what_a_flow_is_started_with_survives_a_new_version_of_it():
    engine = demo_engine(flow=dataclasses.replace(REPLY, version=REPLY.version + 1))
    stored = Session(
        flow="reply", version=REPLY.version, state="documents", locale="en",
        answers={"number": "YM1", "language": "en", "answer": "done", "stale": 1},
        started_at=NOW.isoformat(), last_active_at=NOW.isoformat(),
    )
    restored = engine.restore(stored)
    assert restored.answers == {"number": "YM1", "language": "en", "answer": "done"}
    assert restored.state == "documents"


def test_every_flow_asks_for_consent_or_was_consented_to_before():
    for flow in (INTAKE, VOLUNTEER, REPLY):
        asks = "consent" in flow.questions()
        assert asks != flow.consented_before, flow.name
