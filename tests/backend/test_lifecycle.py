"""The case lifecycle: only declared moves, whatever the sequence of actions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.cases.lifecycle import (
    BEFORE_DECISION,
    TRANSITIONS,
    CaseAction,
    CaseStatus,
    IllegalTransition,
    Lifecycle,
)

LIFECYCLE = Lifecycle()
DECLARED = {(source, action): dest for action, sources, dest in TRANSITIONS for source in sources}


def test_the_happy_path_of_a_case():
    status = CaseStatus.SUBMITTED
    for action in ("assess", "assign", "start_review", "request_info", "receive_info", "schedule_visit",
                   "record_visit", "propose", "approve", "close"):
        status = LIFECYCLE.apply(status, CaseAction(action))
    assert status is CaseStatus.CLOSED


def test_an_illegal_action_names_the_current_status():
    with pytest.raises(IllegalTransition, match="cannot approve a case that is submitted"):
        LIFECYCLE.apply(CaseStatus.SUBMITTED, CaseAction.APPROVE)


def test_withdrawal_only_before_a_decision():
    for status in CaseStatus:
        allowed = CaseAction.WITHDRAW in LIFECYCLE.allowed(status)
        assert allowed == (status in BEFORE_DECISION)


@given(st.lists(st.sampled_from(list(CaseAction)), max_size=40))
def test_no_sequence_of_actions_reaches_an_undeclared_state(actions):
    status = CaseStatus.SUBMITTED
    for action in actions:
        try:
            after = LIFECYCLE.apply(status, action)
        except IllegalTransition:
            assert (status, action) not in DECLARED
            continue
        assert DECLARED[(status, action)] is after
        status = after
    assert status in CaseStatus
