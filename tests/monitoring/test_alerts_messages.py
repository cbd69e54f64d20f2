"""Every alert reason reads well in every locale, with the parameters evaluation gives it."""

from __future__ import annotations

import pytest

from backend.monitoring.alerts import render_reason
from backend.policy.triggers import TriggerTest
from locales import SUPPORTED, Translations, read_catalog

# Parameters as backend.monitoring.triggers writes them into an alert's reason.
SAMPLES: dict[TriggerTest, list[dict]] = {
    TriggerTest.MEDICAL_SPENDING: [
        {"spent": "12000.00", "days": 30, "until": "2026-11-29", "share": "0.2222", "amount": "10000"},
        {"spent": "12000.00", "days": 30, "until": "2026-11-29", "share": None, "amount": "10000"},
    ],
    TriggerTest.DISABILITY: [{"grade": 1, "previous": None}, {"grade": 2, "previous": 3}],
    TriggerTest.EARNER_LOST: [{"cause": "death", "age": 45}, {"cause": "serious_illness", "age": 38}],
    TriggerTest.ONLY_EARNER_UNEMPLOYED: [{"age": 50}],
    TriggerTest.DISASTER_LOSS: [{"loss": "3000.00"}],
    TriggerTest.LEFT_SCHOOL: [{"age": 15}],
    TriggerTest.INCOME_FALL_AFTER_EXIT: [{"exit_on": "2026-03-01", "months": 12, "before": "4500.00",
                                          "after": "2500.00"}],
}
EXPECTED = {
    ("zh_CN", TriggerTest.MEDICAL_SPENDING, 0): "医疗自付 ¥12,000.00（30 天内），占家庭年收入的 22.2%",
    ("en", TriggerTest.MEDICAL_SPENDING, 0):
        "out-of-pocket medical spending of CN¥12,000.00 in 30 days (22.2% of the household's annual income)",
    ("zh_CN", TriggerTest.DISABILITY, 1): "残疾等级评定为 2 级（原为 3 级）",
    ("en", TriggerTest.EARNER_LOST, 0): "death of a working-age earner (aged 45)",
    ("zh_CN", TriggerTest.INCOME_FALL_AFTER_EXIT, 0):
        "2026年3月1日退出救助后 12 个月内，家庭月收入由 ¥4,500.00 降至 ¥2,500.00",
}


def test_every_test_has_a_reason_in_every_locale() -> None:
    for locale in SUPPORTED:
        keys = {k for k in read_catalog(locale) if k.startswith("monitoring.reason.")}
        assert keys == {f"monitoring.reason.{t.value}" for t in TriggerTest}, locale
    assert set(SAMPLES) == set(TriggerTest)


@pytest.mark.parametrize("html", [False, True])
@pytest.mark.parametrize("locale", SUPPORTED)
def test_every_reason_renders(locale: str, html: bool) -> None:
    messages = Translations(html=html)(locale)
    for test, samples in SAMPLES.items():
        for i, params in enumerate(samples):
            text = render_reason(messages, {"rule": test.value, "test": test.value, "params": params})
            assert text and "{" not in text, (test, i)
            if (locale, test, i) in EXPECTED:
                assert text == EXPECTED[(locale, test, i)]
