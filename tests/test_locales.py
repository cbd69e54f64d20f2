"""Every message key exists in every locale and renders; money and dates go through Babel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.flow import Flow
from flows.intake import INTAKE
from flows.keys import message_keys
from flows.reply import REPLY
from flows.volunteer import SKILLS as VOLUNTEER_SKILLS
from flows.volunteer import VOLUNTEER
from locales import SUPPORTED, MissingMessage, Translations, pick_locale, read_catalog

FLOWS: tuple[Flow, ...] = (INTAKE, VOLUNTEER, REPLY)
KEYS = sorted(set().union(*(message_keys(flow) for flow in FLOWS)))
PLACE = {"zh_CN": "明湖区", "en": "Minghu District"}
APPLICATION = {
    "schema_version": 1,
    "consent": {"version": 1, "given_at": "2026-11-29T02:00:00+00:00"},
    "applicant": {
        "for_whom": "other",
        "relationship": "guardian",
        "proxy_name": "李四",
        "name": "王秀英",
        "id_number": "310104195507070048",
        "mobile": "13912345678",
    },
    "region": {"district": "qingshan", "office": "qingfeng"},
    "members": [
        {"relation": "self", "age": 71, "id_number": "310104195507070048", "health": "healthy",
         "disability_grade": 2, "work": "unable", "monthly_income": "0.00"},
        {"relation": "grandchild", "age": 9, "id_number": None, "health": "serious",
         "disability_grade": None, "work": "student", "monthly_income": "0.00"},
    ],
    "other_income": {"relatives_support": "0.00", "pension": "1200.00", "agricultural": "0.00", "other": "0.00"},
    "assets": {"savings": "0.00", "vehicles": 0, "homes": 0},
    "rigid_spending": {"medical": "12000.00", "education": "800.00"},
    "housing": {"status": "renting", "monthly_rent": "800.00"},
    "hardship": {"types": ["illness", "disability", "elderly_care"], "account": "老人独居"},
    "urgent_needs": ["no_food"],
}
# What each flow's summary shows: one full, one as sparse as the flow allows.
VOLUNTEER_APPLICATIONS = [
    {
        "schema_version": 1,
        "consent": {"version": 1, "given_at": "2026-11-29T02:00:00+00:00"},
        "name": "李明",
        "mobile": "13912345678",
        "offices": ["hubin", "qingfeng"],
        "skills": ["companion", "hospital_escort"],
        "availability": ["weekday_evening", "weekend_morning"],
    },
    {
        "schema_version": 1,
        "consent": {"version": 1, "given_at": "2026-11-29T02:00:00+00:00"},
        "name": "Li",
        "mobile": "13912345678",
        "offices": ["gone"],
        "skills": [],
        "availability": ["weekend_evening"],
    },
]
REPLY_APPLICATIONS = [
    {"schema_version": 1, "number": "YM20261129000001", "answer": "残疾人证正在补办，下周可以拿到。"},
    {"schema_version": 1, "number": "YM20261129000001", "answer": "x" * 2000},
]
OFFICE_NAMES = [
    [{"district": PLACE, "office": PLACE}, {"district": PLACE, "office": PLACE}],
    [{"district": "", "office": "gone"}],
]
SAMPLES = [
    dict(
        n=2, relation="spouse", age=45, for_other=False, selected=[("intake.hardship_types.option.illness", {})],
        count=1, filename="bill.png", number="YM20261129000001", review_by="2026-12-09", status="submitted",
        days=30, name="foo", kind="sticker", max=1000000, min=1, optional=True, documents=1,
        applications=[{"number": "YM20261129000001", "status": "submitted",
                       "submitted_at": "2026-11-29T02:00:00+00:00", "office": "hubin"}],
        district=PLACE, office=PLACE, district_name=PLACE, office_name=PLACE, code="x", value="3000",
        age_from_id=40, application=APPLICATION, max_mb=10, path="/tmp/x", total=30,
    ),
    dict(
        n=1, relation="self", age=None, for_other=True, selected=[], count=0, filename="a.pdf", number=None,
        review_by="2026-12-09", status="info_requested", days=30, name="x", kind="voice", max=4096, min=1,
        optional=False, documents=0, applications=[], district=PLACE, office=PLACE, district_name=PLACE,
        office_name=PLACE, code="y", value="110***********0016", age_from_id=12, application=APPLICATION,
        max_mb=0.5, path="", total=1,
    ),
]


@pytest.fixture(scope="module")
def translations() -> Translations:
    return Translations()


def test_every_locale_has_exactly_the_same_keys():
    catalogs = {locale: set(read_catalog(locale)) for locale in SUPPORTED}
    assert catalogs["zh_CN"] == catalogs["en"]


@pytest.mark.parametrize("locale", SUPPORTED)
def test_every_key_the_flow_can_emit_is_in_the_catalog(locale):
    missing = set(KEYS) - set(read_catalog(locale))
    assert not missing, f"{locale} lacks {sorted(missing)}"


def _params(key: str, sample: int) -> dict:
    """The sample's parameters, with the summary's ``application`` in the shape of the key's flow."""
    params = dict(SAMPLES[sample], office_names=OFFICE_NAMES[sample])
    if key.startswith(f"{VOLUNTEER.name}."):
        params["application"] = VOLUNTEER_APPLICATIONS[sample]
    elif key.startswith(f"{REPLY.name}."):
        params["application"] = REPLY_APPLICATIONS[sample]
    return params


@pytest.mark.parametrize("locale", SUPPORTED)
@pytest.mark.parametrize("sample", range(len(SAMPLES)))
def test_every_key_renders(translations, locale, sample):
    messages = translations(locale)
    for key in KEYS:
        text = messages.render(key, **_params(key, sample))
        assert text, f"{locale}: {key} rendered empty"


def test_a_flow_needs_the_messages_of_the_questions_it_asks_only():
    assert {"intake.declined", "intake.urgent_flagged"} <= message_keys(INTAKE)
    assert "volunteer.declined" in message_keys(VOLUNTEER)
    assert "volunteer.urgent_flagged" not in message_keys(VOLUNTEER)
    assert not {"reply.declined", "reply.urgent_flagged", "reply.consent.prompt"} & message_keys(REPLY)
    assert {f"volunteer.skills.option.{code}" for code in VOLUNTEER_SKILLS} <= message_keys(VOLUNTEER)


def test_the_volunteer_summary_names_offices_skills_and_times(translations):
    text = translations("en").render("volunteer.summary", **_params("volunteer.summary", 0))
    for fragment in ("李明", "13912345678", "Minghu District · Minghu District", "Going with someone to hospital",
                     "Weekend mornings", "to be confirmed by a caseworker"):
        assert fragment in text
    text = translations("zh_CN").render("volunteer.summary", **_params("volunteer.summary", 1))
    assert "服务技能：未选择" in text and "gone" in text


def test_the_reply_messages_name_the_application(translations):
    for locale in SUPPORTED:
        messages = translations(locale)
        for key in ("reply.welcome", "reply.receipt", "reply.reminder"):
            assert "YM20261129000001" in messages.render(key, **_params(key, 0)), (locale, key)
    text = translations("en").render("reply.summary", **_params("reply.summary", 0))
    assert "残疾人证正在补办" in text and "Documents: 1" in text


def test_a_missing_key_fails_loudly(translations):
    with pytest.raises(MissingMessage):
        translations("en").render("no.such.key")


def test_money_and_dates_are_formatted_per_locale(translations):
    assert translations("zh_CN").money("3500") == "¥3,500.00"
    assert translations("en").money("3500") == "CN¥3,500.00"
    assert translations("zh_CN").date("2026-12-09") == "2026年12月9日"
    assert translations("en").date("2026-12-09") == "December 9, 2026"
    # 20:00 UTC is already the next day in Beijing.
    assert translations("en").date(datetime(2026, 11, 29, 20, 0, tzinfo=UTC)) == "November 30, 2026"


def test_the_summary_shows_what_was_answered(translations):
    text = translations("en").render("intake.summary", **SAMPLES[0])
    for fragment in ("王秀英", "310***********0048", "CN¥12,000.00", "李四"):
        assert fragment in text
    assert "310104195507070048" not in text


@pytest.mark.parametrize(
    ("code", "locale"), [("zh-hans", "zh_CN"), ("zh-TW", "zh_CN"), ("en-GB", "en"), ("ru", "en"), (None, "zh_CN")]
)
def test_channel_language_codes(code, locale):
    assert pick_locale(code) == locale
