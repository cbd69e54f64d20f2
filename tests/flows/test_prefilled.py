"""An application pre-filled by the office: each answer shown to confirm or correct, then submitted."""

from __future__ import annotations

from flows import events as ev
from flows.buttons import KEEP
from flows.intake import prefill
from flows.intents import LookupOpenApplication, SubmitApplication
from tests.flows.helpers import APPLICANT_ID, NOW, Transcript, demo_engine

HOUSEHOLD = {
    "members": [
        {"relation": "self", "age": 46, "health": "chronic", "disability_grade": None, "work": "unemployed",
         "monthly_income": "0"},
        {"relation": "child", "age": 12, "health": "healthy", "disability_grade": 2, "work": "student",
         "monthly_income": "0"},
    ],
    "other_income": {"relatives_support": "300", "pension": "0", "agricultural": "0", "other": "0"},
    "assets": {"savings": "2000", "vehicles": 0, "homes": 1},
    "rigid_spending": {"medical": "15000", "education": "1200"},
    "housing": {"status": "renting", "monthly_rent": "800"},
    "hardship": {"types": ["illness", "unemployment"], "account": ""},
}


def start() -> Transcript:
    engine = demo_engine()
    answers, members = prefill(HOUSEHOLD, name="王秀英", id_number=APPLICANT_ID, office="hubin", district="minghu")
    session = engine.new_session(NOW, "en", answers, members=members, confirm=True)
    talk = Transcript(engine, session)
    talk.send("/start")
    return talk


def test_every_prefilled_answer_is_asked_with_its_value_offered_and_consent_is_asked_first():
    talk = start()
    assert talk.keys[-1] == "intake.consent.prompt"
    talk.send(ev.Choice("self"))
    # Agreeing "for myself" confirms the pre-filled "for whom": not asked again.
    assert talk.keys[-1] == "intake.name.prompt"
    assert any(o.value == KEEP and "王秀英" in str(o.params) for o in talk.replies[-1].options)


def test_the_resident_only_checks_corrects_one_answer_and_submits():
    talk = start()
    talk.send(ev.Choice("self"))
    asked = []
    for _ in range(80):
        if talk.of(LookupOpenApplication):
            talk.send(ev.NoOpenApplication())  # the runner's answer: no open application
        reply = talk.replies[-1]
        asked.append(reply.key)
        if reply.key == "intake.summary":
            break
        state = talk.session.state
        if state == "mobile":
            talk.send("13912345678")  # not known to the office: the resident types it
        elif state == "urgent":
            talk.send(ev.Choice("_done"))  # today's needs: never pre-filled
        elif state == "savings":
            talk.send("500")  # the one correction: savings went down
        elif any(o.value == KEEP for o in reply.options):
            talk.send(ev.Choice(KEEP))
        elif any(o.value == "_skip" for o in reply.options) and not any(o.value == KEEP for o in reply.options):
            talk.send(ev.Choice("_skip"))  # nothing to add (the account, the documents)
        elif any(o.value == "_done" for o in reply.options):
            talk.send(ev.Choice("_done"))  # a multiple choice, its pre-filled ticks kept
        else:
            talk.send(ev.Choice(next(o.value for o in reply.options if o.selected)))  # the pre-filled choice
    assert asked[-1] == "intake.summary"
    assert "intake.members.condition.prompt" in asked and "intake.rent.prompt" in asked
    talk.send(ev.Choice("_confirm"))
    (submitted,) = talk.of(SubmitApplication)
    application = submitted.payload
    assert application["assets"]["savings"] == "500.00"  # corrected
    assert application["other_income"]["relatives_support"] == "300.00"
    assert application["housing"] == {"status": "renting", "monthly_rent": "800.00"}
    assert application["members"][1]["disability_grade"] == 2 and application["members"][1]["relation"] == "child"
    assert application["members"][0]["health"] == "chronic" and application["members"][0]["work"] == "unemployed"
    assert application["hardship"]["types"] == ["illness", "unemployment"]
    assert application["applicant"]["mobile"] == "13912345678"


def test_an_ordinary_session_confirms_nothing():
    engine = demo_engine()
    assert engine.new_session(NOW, "en", {"name": "x"}).to_confirm == []
