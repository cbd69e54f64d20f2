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


def _decision(kind: str, params: dict) -> Notification:
    return Notification(2, "r", "YM20261129000001", kind, params, "pending", datetime(2026, 11, 29, tzinfo=UTC))


def test_an_approval_answers_the_residents_next_questions_in_both_languages():
    from backend.cases.decision_message import approval_params
    from backend.cases.ports import Case
    from tests.cases.helpers import NOW, PACK

    case = Case(number="YM20261129000001", resident_id="r", status=CaseStatus.PROPOSED, office="hubin",
                district="d", layer="dibao", resilience_level=1, emergency=False, queues=(), station=None,
                deadline_at=None, assigned_to="wang", proposed_by="wang",
                decision={"layer": "dibao", "package": ["medical"], "amount": "2200"}, submitted_at=NOW,
                updated_at=NOW, payload={}, assessment=None)
    approved = _decision("approved", approval_params(PACK, case, "", now=NOW))
    zh = render_notice(approved, Translations()("zh_CN"))
    en = render_notice(approved, Translations()("en"))
    # The programme by name, the amount and from which month, how and when paid (the pack's
    # payment_day and method), what to report within how many days, the next review, the appeal.
    assert "纳入最低生活保障（低保）" in zh and "自2026年12月起每月 ¥2,200.00" in zh
    assert "社会保障卡" in zh and "每月10日发放" in zh and "30日内告知" in zh and "下次复核时间为2027年12月" in zh
    assert "2027年1月28日 前向所在区人民政府申请行政复议" in zh
    assert "approved: " in en and "(低保)" in en and "CN¥2,200.00 a month, from December 2026." in en
    assert "social security card" in en and "on day 10 of each month" in en and "within 30 days" in en
    assert "next review is due in December 2027" in en and "by January 28, 2027" in en


def test_an_old_rejection_without_the_packs_reasons_still_renders():
    # Notifications written before decisions.yaml carry free-text reasons and no appeal body.
    old = _decision("rejected", {"reasons": ["收入核对不符"], "appeal_by": "2027-01-28"})
    assert "收入核对不符" in render_notice(old, Translations()("zh_CN"))
    assert "your district government by January 28, 2027" in render_notice(old, Translations()("en"))
