"""The intake as households have it: odd jobs, earnings whatever the work, obliged relatives asked where
the pack's rules use them, answers worked out from others kept in line, and where the resident is."""

from __future__ import annotations

from flows import events as ev
from flows.intents import LookupOpenApplication, Reply, SubmitApplication
from flows.session import Session
from tests.flows.helpers import APPLICANT_ID, NOW, Transcript, demo_engine

# Born 1950: 76 on the test day, so a household of one is all dependent (特困's household test).
ELDER_ID = "110105195001010012"


def to_household(talk: Transcript, id_number: str = APPLICANT_ID) -> None:
    for message in ("/start", ev.Choice("self"), "张三", id_number):
        talk.send(message)
    if talk.of(LookupOpenApplication):
        talk.send(ev.NoOpenApplication())
    for message in ("13800138000", ev.Choice("hubin"), ev.Choice("none")):
        talk.send(message)


def answer(talk: Transcript, *messages: str | ev.Event) -> None:
    for message in messages:
        talk.send(message)


def submitted(talk: Transcript) -> dict:
    assert talk.keys[-1] == "intake.summary", talk.keys
    talk.send(ev.Choice("_confirm"))
    (submit,) = talk.of(SubmitApplication)
    return submit.payload


def start(id_number: str = APPLICANT_ID) -> Transcript:
    engine = demo_engine()
    talk = Transcript(engine, engine.new_session(NOW, "zh_CN"))
    to_household(talk, id_number)
    return talk


def test_an_unemployed_member_is_asked_her_earnings_and_odd_jobs_are_work():
    talk = start()
    answer(talk, "2", ev.Choice("healthy"), ev.Choice("unemployed"))
    assert talk.keys == ["intake.members.income.prompt"]  # unemployed, and still asked
    answer(talk, "600", ev.Choice("spouse"), "王芳", "45", ev.Choice("healthy"))
    assert talk.keys == ["intake.members.work.prompt"]
    assert talk.replies[0].params["name"] == "王芳"  # called by her name from here on
    assert "flexible" in [o.value for o in talk.replies[0].options]
    answer(talk, ev.Choice("flexible"), "1800", ev.Choice("none"), "0", ev.Choice("none"), "0",
           ev.Choice("own"), "打零工收入不稳定")
    payload = submitted(talk)
    me, wife = payload["members"]
    assert (me["work"], me["monthly_income"]) == ("unemployed", "600.00")
    assert (wife["name"], wife["work"], wife["monthly_income"]) == ("王芳", "flexible", "1800.00")
    # 特困 cannot apply to a household with a working-age earner: the supporter question is not
    # asked, and the application says it is not known rather than "no".
    assert payload["able_supporter"] is None


def test_a_child_of_school_age_is_not_asked_about_work_and_counts_as_a_pupil():
    talk = start()
    answer(talk, "2", ev.Choice("healthy"), ev.Choice("employed"), "3000", ev.Choice("child"))
    answer(talk, ev.Choice("_skip"), "9", ev.Choice("healthy"))  # no name given
    assert talk.keys == ["intake.other_income.prompt"]
    answer(talk, ev.Choice("none"), "0", ev.Choice("none"), "0")
    assert talk.keys == ["intake.education_spending.prompt"]
    answer(talk, "500", ev.Choice("own"), "孩子上学")
    child = submitted(talk)["members"][1]
    assert (child["work"], child["name"], child["age"]) == ("student", None, 9)


def test_obliged_relatives_are_asked_where_the_rules_use_them_in_plain_words():
    talk = start(ELDER_ID)
    answer(talk, "1", ev.Choice("chronic"), ev.Choice("none"), ev.Choice("retired"), "0")
    answer(talk, ev.Choice("none"))
    assert talk.keys == ["intake.supporters.prompt"]
    assert [o.value for o in talk.replies[0].options] == ["none", "unable", "able"]
    answer(talk, ev.Choice("able"))
    assert talk.keys == ["intake.supporter_help.prompt"]  # can they help, and how much do they
    answer(talk, "800", "0", ev.Choice("none"), "3000", ev.Choice("own"), "儿子在外地打工")
    payload = submitted(talk)
    assert payload["able_supporter"] is True
    assert payload["other_income"]["relatives_support"] == "800.00"


def test_relatives_that_cannot_help_are_no_supporter_and_no_amount_is_asked():
    talk = start(ELDER_ID)
    answer(talk, "1", ev.Choice("chronic"), ev.Choice("none"), ev.Choice("retired"), "0", ev.Choice("none"))
    answer(talk, ev.Choice("unable"))
    assert talk.keys == ["intake.savings.prompt"]
    answer(talk, "0", ev.Choice("none"), "3000", ev.Choice("own"), "没有依靠")
    payload = submitted(talk)
    assert payload["able_supporter"] is False and payload["other_income"]["relatives_support"] == "0.00"


def test_hardship_types_follow_a_corrected_work_status_and_keep_what_the_resident_ticked():
    talk = start()
    answer(talk, "1", ev.Choice("healthy"), ev.Choice("unemployed"), "0", ev.Choice("none"), "0",
           ev.Choice("none"), "0", ev.Choice("own"))
    assert [o.value for o in talk.replies[0].options if o.selected] == ["unemployment"]
    answer(talk, ev.Choice("disaster"), ev.Choice("_done"), "厂子关了，房子也被水淹了")  # disaster: her own tick
    assert talk.session.answers["hardship_types"] == ["unemployment", "disaster"]
    # From the summary, the work was odd jobs after all.
    answer(talk, ev.Choice("_change:income"), ev.Choice("m:0"), ev.Choice("q:members.work"),
           ev.Choice("flexible"), "900")
    assert talk.keys == ["intake.summary"]
    assert talk.session.answers["hardship_types"] == ["disaster"]
    # And back to unemployed: the type shown by the answers is ticked again.
    answer(talk, ev.Choice("_change:income"), ev.Choice("m:0"), ev.Choice("q:members.work"),
           ev.Choice("unemployed"), "0")
    assert talk.session.answers["hardship_types"] == ["unemployment", "disaster"]


def test_each_question_says_where_the_resident_is_and_the_total_follows_the_household():
    talk = start()
    first = talk.replies[-1].progress
    assert talk.keys[-1] == "intake.household_size.prompt" and first is not None
    answer(talk, "3")
    step, total = talk.replies[-1].progress
    assert step == first[0] + 1 and total > first[1] + 5  # two more members' questions
    answer(talk, ev.Choice("healthy"), ev.Choice("unemployed"))
    assert talk.replies[-1].progress == (step + 2, total)
    # Menus and the summary are no questions: no step.
    answer(talk, "/status")
    assert all(r.progress is None for r in talk.replies if r.key == "status.list")


def test_a_summary_part_with_one_answer_goes_straight_to_it_and_a_part_lists_only_its_answers():
    talk = start()
    answer(talk, "1", ev.Choice("healthy"), ev.Choice("employed"), "3000", ev.Choice("none"), "0",
           ev.Choice("none"), "0", ev.Choice("own"), "工资太低")
    summary = talk.replies[-1]
    assert [o.value for o in summary.options] == [
        "_confirm", "_change:applicant", "_change:members", "_change:income", "_change:assets",
        "_change:spending", "_change:housing", "_change:hardship",
    ]
    answer(talk, ev.Choice("_change:assets"))
    assert [o.value for o in talk.replies[-1].options] == ["q:savings", "q:property", "_back"]
    answer(talk, ev.Choice("_back"), ev.Choice("_change:housing"))
    assert talk.keys == ["intake.housing.prompt"]  # only one answer in that part


def test_a_session_of_the_previous_version_keeps_its_answers_and_asks_what_is_new():
    engine = demo_engine()
    talk = Transcript(engine, engine.new_session(NOW, "zh_CN"))
    to_household(talk, ELDER_ID)
    answer(talk, "1", ev.Choice("chronic"), ev.Choice("none"), ev.Choice("retired"), "0", ev.Choice("none"),
           ev.Choice("unable"), "0", ev.Choice("none"), "0", ev.Choice("own"), "没有依靠")
    stored = Session.from_dict(talk.session.to_dict())
    stored.version = 2
    stored.answers["able_supporter"] = stored.answers.pop("supporters") and "yes"
    stored.answers["consent"] = "agree"
    stored.state = "documents"
    resumed, intents = engine.step(stored, ev.Command("start"), NOW)
    assert resumed.version == 3 and resumed.answers["supporters"] == "able"
    assert resumed.answers["for_whom"] == "self" and resumed.answers["name"] == "张三"
    # "Able" asks how much they give, which version 2 never asked.
    assert [i.key for i in intents if isinstance(i, Reply)][-1] == "intake.supporter_help.prompt"
