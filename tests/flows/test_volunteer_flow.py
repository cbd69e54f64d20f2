"""The volunteer flow as a volunteer sees it: a line in, the replies out, and the registration sent."""

from __future__ import annotations

import pytest

from flows import events as ev
from flows.engine import Engine
from flows.intents import DiscardData, Reply, SetLocale, SubmitApplication
from flows.volunteer import SKILLS, VOLUNTEER
from tests.flows.helpers import NOW, Transcript, demo_context, rendered

NUMBER = "VL20261129000001"
CONSENTED = {"version": 1, "given_at": NOW.isoformat()}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(VOLUNTEER, demo_context(skills=SKILLS))


def start(engine: Engine, locale: str | None = "en") -> Transcript:
    chat = Transcript(engine, engine.new_session(NOW, locale))
    chat.send("/start")
    return chat


def at_offices(engine: Engine) -> Transcript:
    chat = start(engine)
    for line in (ev.Choice("agree"), "Li Ming", "13912345678"):
        chat.send(line)
    assert chat.keys == ["volunteer.offices.prompt"]
    return chat


def test_english_registration_from_welcome_to_receipt(engine, translations):
    chat = start(engine)
    assert chat.keys == ["volunteer.welcome", "volunteer.consent.prompt"]
    assert [o.value for o in chat.replies[-1].options] == ["agree", "decline"]

    chat.send(ev.Choice("agree"))
    assert chat.keys == ["volunteer.name.prompt"]
    chat.send("Li Ming")
    assert chat.keys == ["volunteer.mobile.prompt"]
    assert chat.replies[-1].request_contact

    chat.send("+86 139 1234 5678")
    offices = chat.replies[-1]
    assert chat.keys == ["volunteer.offices.prompt"]
    assert [o.value for o in offices.options] == [
        "hubin", "wenchang", "liuan", "qingfeng", "songlin", "shiqiao", "_done"
    ]
    assert offices.options[3].key == "region.district_office"
    assert offices.options[3].params["office"].get("en") == "Qingfeng Subdistrict"

    for value in ("qingfeng", "hubin", "_done"):
        chat.send(ev.Choice(value))
    skills = chat.replies[-1]
    assert chat.keys == ["volunteer.skills.prompt"]
    assert [o.value for o in skills.options] == [*SKILLS, "_done"]
    assert skills.options[0].key == "volunteer.skills.option.companion"

    for value in ("hospital_escort", "companion", "_done"):
        chat.send(ev.Choice(value))
    assert chat.keys == ["volunteer.availability.prompt"]
    for value in ("weekend_morning", "weekday_evening", "_done"):
        chat.send(ev.Choice(value))

    assert chat.keys == ["volunteer.summary"]
    text = rendered(chat, translations, "en")[0]
    for fragment in ("Li Ming", "13912345678", "Minghu District · Hubin Subdistrict; Qingshan District · Qingfeng",
                     "Visits and company, Going with someone to hospital (to be confirmed by a caseworker)",
                     "Weekday evenings, Weekend mornings"):
        assert fragment in text

    chat.send(ev.Choice("_confirm"))
    assert chat.of(SubmitApplication) == [
        SubmitApplication(
            {
                "schema_version": 1,
                "consent": CONSENTED,
                "name": "Li Ming",
                "mobile": "13912345678",
                "offices": ["hubin", "qingfeng"],
                "skills": ["companion", "hospital_escort"],
                "availability": ["weekday_evening", "weekend_morning"],
                "submitted_at": NOW.isoformat(),
                "locale": "en",
            },
            (),
        )
    ]

    chat.send(ev.ApplicationSubmitted(NUMBER, "2026-12-09"))
    assert chat.keys == ["volunteer.receipt"]
    receipt = rendered(chat, translations, "en")[0]
    assert NUMBER in receipt and "/points" in receipt and "/pause" in receipt and "/resume" in receipt
    assert chat.session.state == "submitted"
    assert chat.session.answers == {"language": "en"}


def test_chinese_registration_asks_the_language_first_when_the_channel_does_not_say(engine, translations):
    chat = start(engine, locale=None)
    assert chat.keys == ["volunteer.welcome", "volunteer.language.prompt"]
    chat.send(ev.Choice("zh_CN"))
    assert chat.of(SetLocale) == [SetLocale("zh_CN")]
    assert chat.keys == ["volunteer.consent.prompt"]
    assert "姓名、手机号码" in rendered(chat, translations, "zh_CN")[0]

    for line in (ev.Choice("agree"), "王芳", "139-1234-5678", ev.Choice("liuan"), ev.Choice("_done")):
        chat.send(line)
    # Typed option codes count as taps.
    for line in ("tutoring", "_done", "weekend_afternoon", "weekend_evening", "_done"):
        chat.send(line)

    assert chat.keys == ["volunteer.summary"]
    text = rendered(chat, translations, "zh_CN")[0]
    for fragment in (
        "姓名：王芳", "明湖区 · 柳岸镇", "服务技能：课业辅导（待工作人员确认）", "方便的时间：周末下午、周末晚上"
    ):
        assert fragment in text

    chat.send(ev.Choice("_confirm"))
    [submit] = chat.of(SubmitApplication)
    assert submit.payload["locale"] == "zh_CN"
    assert submit.payload["name"] == "王芳" and submit.payload["mobile"] == "13912345678"
    assert (submit.payload["offices"], submit.payload["skills"]) == (["liuan"], ["tutoring"])
    assert submit.payload["availability"] == ["weekend_afternoon", "weekend_evening"]

    chat.send(ev.ApplicationSubmitted(NUMBER, "2026-12-09"))
    assert "登记成功" in rendered(chat, translations, "zh_CN")[0]


def test_an_invalid_mobile_number_is_asked_again(engine):
    chat = start(engine)
    chat.send(ev.Choice("agree"))
    chat.send("Li Ming")
    for wrong in ("12345", "23912345678"):
        chat.send(wrong)
        assert chat.keys == ["error.mobile.invalid", "volunteer.mobile.prompt"]
        assert chat.session.state == "mobile" and "mobile" not in chat.session.answers
    # A third miss also offers a person, as in any flow.
    chat.send("not a number")
    assert chat.keys == ["error.mobile.invalid", "help.offer", "volunteer.mobile.prompt"]
    chat.send("13912345678")
    assert chat.keys[-1] == "volunteer.offices.prompt"


def test_a_name_with_digits_is_asked_again(engine):
    chat = start(engine)
    chat.send(ev.Choice("agree"))
    chat.send("13912345678")
    assert chat.keys == ["error.name.invalid", "volunteer.name.prompt"]


def test_every_choice_needs_at_least_one_tick(engine):
    chat = at_offices(engine)
    chat.send(ev.Choice("_done"))
    assert chat.keys == ["error.multi.empty", "volunteer.offices.prompt"]


def test_declining_consent_ends_with_nothing_kept(engine, translations):
    chat = start(engine)
    chat.send(ev.FileUpload("doc-1", "certificate.jpg", 100))
    assert chat.of(DiscardData) == [DiscardData(("doc-1",))]
    assert chat.keys == ["documents.before_consent", "volunteer.consent.prompt"]

    chat.send(ev.Choice("decline"))
    assert chat.keys == ["volunteer.declined"]
    assert chat.of(DiscardData) == [DiscardData(())]
    assert chat.session.state == "declined"
    assert chat.session.answers == {"language": "en"} and chat.session.documents == []
    assert "Nothing you told us has been kept" in rendered(chat, translations, "en")[0]


def test_cancelling_midway_discards_the_answers(engine):
    chat = at_offices(engine)
    chat.send(ev.Choice("hubin"))
    chat.send("/cancel")
    assert chat.keys == ["cancel.confirm"]
    chat.send(ev.Choice("_no"))
    assert chat.keys == ["volunteer.offices.prompt"]

    chat.send("/cancel")
    chat.send(ev.Choice("_yes"))
    assert chat.keys == ["cancel.done"]
    assert chat.of(DiscardData) == [DiscardData(())]
    assert chat.session.state == "cancelled"
    assert chat.session.answers == {"language": "en"}


def test_an_answer_is_changed_from_the_summary(engine):
    chat = at_offices(engine)
    for value in ("songlin", "_done", "repairs", "_done", "weekday_morning", "_done"):
        chat.send(ev.Choice(value))
    chat.send(ev.Choice("_change"))
    menu = chat.replies[-1]
    assert [o.value for o in menu.options] == ["q:name", "q:mobile", "q:offices", "q:skills", "q:availability", "_back"]
    assert menu.options[3].key == "volunteer.skills.label"

    chat.send(ev.Choice("q:skills"))
    prompt = chat.replies[-1]
    assert [o.value for o in prompt.options if o.selected] == ["repairs"]
    for value in ("repairs", "counselling", "_done"):
        chat.send(ev.Choice(value))
    assert chat.keys == ["volunteer.summary"]
    assert chat.replies[-1].params["application"]["skills"] == ["counselling"]


def test_without_skills_to_choose_from_the_question_is_not_asked():
    chat = at_offices(Engine(VOLUNTEER, demo_context()))
    chat.send(ev.Choice("hubin"))
    chat.send(ev.Choice("_done"))
    assert chat.keys == ["volunteer.availability.prompt"]
    chat.send(ev.Choice("weekday_morning"))
    chat.send(ev.Choice("_done"))
    assert isinstance(chat.intents[0], Reply) and chat.keys == ["volunteer.summary"]
    assert chat.replies[-1].params["application"]["skills"] == []
