"""Every status a case can reach has a notice for the resident, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.cases.lifecycle import CaseStatus
from backend.cases.notices import render_notice
from backend.cases.ports import Notification
from locales import SUPPORTED, Translations

PARAMS = {
    CaseStatus.ASSESSED: {"emergency": True},
    CaseStatus.ASSIGNED: {"caseworker": "王芳"},
    CaseStatus.INFO_REQUESTED: {"question": "请补充 <诊断证明>"},
    CaseStatus.HOME_VISIT_SCHEDULED: {"visit_at": "2026-12-01T01:30:00+00:00"},
    CaseStatus.APPROVED: {"package": ["medical", "care"], "amount": "680.50"},
    CaseStatus.REJECTED: {"reasons": ["收入核对不符"], "appeal_by": "2027-01-28"},
}


def notice(status: CaseStatus) -> Notification:
    return Notification(1, "r", "YM20261129000001", status.value, PARAMS.get(status, {}), "pending",
                        datetime(2026, 11, 29, tzinfo=UTC))


@pytest.mark.parametrize("locale", SUPPORTED)
@pytest.mark.parametrize("status", list(CaseStatus))
def test_every_status_renders(locale, status):
    text = render_notice(notice(status), Translations()(locale))
    assert "YM20261129000001" in text and "{{" not in text


def test_the_details_are_in_the_residents_language():
    zh, en = Translations()("zh_CN"), Translations()("en")
    assert "每月 ¥680.50" in render_notice(notice(CaseStatus.APPROVED), zh)
    assert "CN¥680.50 a month" in render_notice(notice(CaseStatus.APPROVED), en)
    assert "2027年1月28日" in render_notice(notice(CaseStatus.REJECTED), zh)
    assert "January 28, 2027" in render_notice(notice(CaseStatus.REJECTED), en)
    # The visit's time is where the resident lives (UTC+8), not UTC.
    assert "9:30" in render_notice(notice(CaseStatus.HOME_VISIT_SCHEDULED), en)


def test_a_caseworkers_words_are_escaped_in_html():
    text = render_notice(notice(CaseStatus.INFO_REQUESTED), Translations(html=True)("zh_CN"))
    assert "&lt;诊断证明&gt;" in text
