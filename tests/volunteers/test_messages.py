"""Every volunteer, task and points message renders in both languages, with people's words escaped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from babel.messages.pofile import read_po

from locales import LOCALES_DIR, SUPPORTED, Translations

VIEW = {
    "task_id": 7, "skill": "hospital_escort", "area": {"zh_CN": "湖滨街道", "en": "Hubin Subdistrict"},
    "details": "<b>陪同</b>复诊", "starts_at": "2026-12-01T01:00:00+00:00", "ends_at": "2026-12-01T04:00:00+00:00",
    "duration_minutes": 180, "given_name": "秀英", "address": "湖滨路 8 号 <3 单元>",
}
PARAMS = {**VIEW, "volunteer": "小明", "points": 30, "hours": "3.00", "stars": 5, "balance": 40, "code": "01234567",
          "minutes": 10, "number": "YM20261129000001", "offer_id": 3,
          "entries": [{"points": 30, "cause": "task", "at": datetime(2026, 12, 1, 4, 0, tzinfo=UTC)},
                      {"points": -20, "cause": "redemption", "at": datetime(2026, 12, 2, 4, 0, tzinfo=UTC)}],
          # the volunteer's home, and a task's creator told a round ran out
          "name": "李<明>", "paused": False, "pings": [VIEW], "tasks": [{**VIEW, "checked_in": True}],
          "round": 1, "timed_out": True, "next": [{"name": "王<芳>", "at": "2026-12-01T00:00:00+00:00"}]}


def _keys() -> list[str]:
    """The keys of the volunteers catalog (locales/*/LC_MESSAGES/volunteers.po)."""
    with (LOCALES_DIR / "en" / "LC_MESSAGES" / "volunteers.po").open("rb") as file:
        return sorted(str(m.id) for m in read_po(file) if m.id)


@pytest.mark.parametrize("locale", SUPPORTED)
@pytest.mark.parametrize("key", _keys())
def test_renders(locale, key):
    text = Translations(html=True)(locale).render(key, **PARAMS)
    assert text.strip()
    assert "<b>" not in text and "<3" not in text and "<明>" not in text and "<芳>" not in text  # escaped


def test_a_task_offer_and_the_balance_read_naturally():
    zh, en = Translations()("zh_CN"), Translations()("en")
    offer = en.render("notice.task_offer", **VIEW)
    assert "Going with someone to hospital in Hubin Subdistrict" in offer and "about 180 minutes" in offer
    assert "湖滨街道" in zh.render("notice.task_offer", **VIEW)
    balance = en.render("points.balance", **PARAMS)
    assert "You have 40 points, for 3.00 hours of service." in balance
    assert "+30 (service task)" in balance and "-20 (redeemed)" in balance
