"""One-tap confirmation of an amount said approximately, as a range or over another period.

The engine asks "按 800 元记录？" with [是] [不是，重新输入]; yes records and moves on, no asks the
question again, a new answer typed instead answers afresh. The proposal is kept in the session
(it survives a restart) and a press of an older proposal's button is refused as stale.
"""

from __future__ import annotations

import json

import pytest

from flows import events as ev
from flows.intents import Reply
from flows.session import Session
from locales import Translations
from tests.flows.helpers import Transcript, demo_engine, rendered
from tests.flows.test_engine import at_mobile, play


def at_income() -> Transcript:
    """An English-speaking resident, alone and employed, at the question of her monthly income."""
    engine = demo_engine()
    session, _ = at_mobile(engine)
    session, _ = play(engine, session, ev.Text("13800138000"), ev.Text("hubin"), ev.Choice("none"), ev.Text("1"),
                      ev.Choice("healthy"), ev.Choice("employed"))
    assert session.state == "members.income"
    return Transcript(engine, session)


def proposal(chat: Transcript) -> Reply:
    (reply,) = chat.replies
    assert reply.key == "confirm.amount"
    return reply


def buttons(reply: Reply) -> dict[str, str]:
    """The proposal's buttons by label key: {"confirm.yes": value, "confirm.no": value}."""
    return {option.key: option.value for option in reply.options}


def income(chat: Transcript) -> object:
    return chat.session.members[0].get("income")


def test_an_exact_amount_is_taken_in_one_step() -> None:
    for text in ("800", "八百", "800元/月", "800 a month", "eight hundred"):
        chat = at_income()
        chat.send(text)
        assert chat.keys == ["intake.other_income.prompt"], text
        assert income(chat) == "800.00" and chat.session.pending is None


def test_an_approximate_amount_is_recorded_once_confirmed(translations: Translations) -> None:
    chat = at_income()
    chat.send("八百块左右")
    reply = proposal(chat)
    assert reply.free_text  # typing another amount is still an answer
    assert list(buttons(reply)) == ["confirm.yes", "confirm.no"]
    assert income(chat) is None and chat.session.state == "members.income"
    assert rendered(chat, translations, "zh_CN")[0].startswith("按 800 元记录？")
    assert rendered(chat, translations, "en")[0].startswith("Record it as ¥800?")
    chat.send(ev.Choice(buttons(reply)["confirm.yes"]))
    assert chat.keys == ["intake.other_income.prompt"]
    assert income(chat) == "800.00" and chat.session.pending is None


def test_no_asks_the_same_question_again_and_records_nothing() -> None:
    chat = at_income()
    chat.send("about 800 yuan")
    chat.send(ev.Choice(buttons(proposal(chat))["confirm.no"]))
    assert chat.keys == ["intake.members.income.prompt"]
    assert income(chat) is None and chat.session.pending is None
    chat.send("750")
    assert chat.keys == ["intake.other_income.prompt"] and income(chat) == "750.00"


def test_an_amount_typed_instead_answers_afresh() -> None:
    chat = at_income()
    chat.send("大概一千二")
    first = buttons(proposal(chat))
    chat.send("大约一千")  # a new proposal replaces the first
    second = buttons(proposal(chat))
    assert second != first and chat.session.pending is not None
    assert chat.session.pending["value"] == "1000.00"
    chat.send("900")  # an exact one is simply taken
    assert chat.keys == ["intake.other_income.prompt"] and income(chat) == "900.00"


def test_yes_and_no_may_be_typed() -> None:
    chat = at_income()
    chat.send("八百左右")
    chat.send("是")
    assert income(chat) == "800.00"
    chat = at_income()
    chat.send("800ish")
    chat.send("no")  # while a proposal is open, "no" answers it (elsewhere it would mean zero)
    assert chat.keys == ["intake.members.income.prompt"] and income(chat) is None


@pytest.mark.parametrize(("said", "zh_cn", "en", "recorded"), [
    # A range proposes its middle.
    ("800到1000", "800 到 1,000 元，按中间数 900 元记录？", "¥800 to ¥1,000: record the middle, ¥900?", "900.00"),
    # A yearly figure is converted to the month the question asks.
    ("每年一万二", "每年 12,000 元，按每月 1,000 元记录？", "¥12,000 a year: record it as ¥1,000 a month?", "1000.00"),
])
def test_a_figure_the_question_does_not_ask_for_is_proposed_as_one_it_does(
    translations: Translations, said: str, zh_cn: str, en: str, recorded: str
) -> None:
    chat = at_income()
    chat.send(said)
    assert rendered(chat, translations, "zh_CN")[0].startswith(zh_cn)
    assert rendered(chat, translations, "en")[0].startswith(en)
    chat.send(ev.Choice(buttons(proposal(chat))["confirm.yes"]))
    assert income(chat) == recorded


def test_a_monthly_figure_for_a_yearly_question_is_converted() -> None:
    chat = at_income()
    for message in ("900", ev.Choice("none"), "0", ev.Choice("one_home")):
        chat.send(message)
    assert chat.session.state == "medical_spending"
    chat.send("每月500")
    chat.send(ev.Choice(buttons(proposal(chat))["confirm.yes"]))
    assert chat.session.answers["medical_spending"] == "6000.00"


def test_the_proposal_survives_a_restart() -> None:
    chat = at_income()
    chat.send("八百块左右")
    yes = buttons(proposal(chat))["confirm.yes"]
    stored = json.loads(json.dumps(chat.session.to_dict()))  # as the database keeps it
    restarted = Transcript(demo_engine(), Session.from_dict(stored))
    restarted.send(ev.Choice(yes))
    assert restarted.keys == ["intake.other_income.prompt"] and income(restarted) == "800.00"


def test_a_stale_press_is_refused_and_the_live_proposal_asked_again() -> None:
    chat = at_income()
    chat.send("八百块左右")
    old = buttons(proposal(chat))
    chat.send("大概九百")
    live = buttons(proposal(chat))
    chat.send(ev.Choice(old["confirm.yes"]))
    assert chat.keys == ["channel.button_expired", "confirm.amount"]
    assert buttons(chat.replies[1]) == live and income(chat) is None
    chat.send(ev.Choice(live["confirm.no"]))
    chat.send(ev.Choice(live["confirm.yes"]))  # answered already: stale too
    assert chat.keys == ["channel.button_expired", "intake.members.income.prompt"] and income(chat) is None


def test_a_command_asks_about_the_proposal_again_and_back_drops_it() -> None:
    chat = at_income()
    chat.send("八百块左右")
    live = buttons(proposal(chat))
    chat.send("/help")
    assert chat.keys == ["command.help", "confirm.amount"] and buttons(chat.replies[1]) == live
    chat.send("/back")
    assert chat.session.pending is None and chat.session.state != "members.income"


def test_an_approximate_amount_is_never_stored_before_it_is_confirmed() -> None:
    chat = at_income()
    chat.send("差不多三千")
    assert "income" not in chat.session.members[0]
    assert chat.session.pending is not None and chat.session.pending["at"] == "members.income@0"
