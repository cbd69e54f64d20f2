"""The callback codec: every action survives encoding, old values still decode, others do not."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.buttons import (
    AnswerOffer,
    AnswerTask,
    ApplyPrefilled,
    ListOffers,
    RateTask,
    ReplyNow,
    TaskChoice,
    action_of,
    button,
)
from bot.callbacks import decode, encode, is_action, notification_buttons

ids = st.integers(min_value=0, max_value=10**12)
actions = st.one_of(
    st.builds(AnswerOffer, ids, st.booleans()),
    st.builds(ReplyNow, st.text()),
    st.builds(AnswerTask, ids, st.sampled_from(TaskChoice)),
    st.builds(RateTask, ids, st.integers(min_value=1, max_value=5)),
    st.builds(ApplyPrefilled, ids),
    st.just(ListOffers()),
)


@given(actions)
def test_every_action_survives_the_chat_and_the_notification_store(action) -> None:
    assert decode(encode(action)) == action
    stored = json.loads(json.dumps(button(action, "label.key")))
    assert action_of(stored["action"]) == action
    assert notification_buttons({"buttons": [stored]}) == [(encode(action), "label.key")]


@pytest.mark.parametrize(("value", "action"), [
    ("offer:12:accept", AnswerOffer(12, True)),
    ("offer:12:decline", AnswerOffer(12, False)),
    ("reply:HB-2026-000123", ReplyNow("HB-2026-000123")),
    ("task:3:accept", AnswerTask(3, TaskChoice.ACCEPT)),
    ("task:3:missed", AnswerTask(3, TaskChoice.MISSED)),
    ("rate:3:5", RateTask(3, 5)),
    ("apply:7", ApplyPrefilled(7)),
])
def test_buttons_sent_before_actions_were_typed_still_work(value, action) -> None:
    assert decode(value) == action
    assert notification_buttons({"buttons": [[value, "label.key"]]}) == [(value, "label.key")]


@pytest.mark.parametrize("value", [
    "yes", "hubin", "offer:12:maybe", "offer:x:accept", "task:3:later", "rate:3:6", "rate:3:0", "apply:",
    "apply:7:8", "v2:offer:1", "v2:nothing:1", "v9:apply:7", "offers:", "v2:offers:1",
])
def test_other_values_are_answers_to_a_question(value) -> None:
    assert decode(value) is None and not is_action(value)


@given(st.text())
def test_decoding_never_raises(value) -> None:
    action = decode(value)
    assert action is None or decode(encode(action)) == action


def test_an_unknown_stored_action_shows_no_button() -> None:
    assert notification_buttons({"buttons": [{"label": "x", "action": {"kind": "nothing"}}]}) == []
    assert action_of({"kind": "offer", "offer_id": "12", "accept": True}) is None
