"""YIMEN_TELEGRAM_OVERALL_RATE: each process's share of the bot's overall flood limit."""

from __future__ import annotations

import pytest

from backend.config import Config, ConfigError


def test_the_overall_rate_is_read_and_checked():
    assert Config.from_env({"YIMEN_SECRET_KEY": "k"}).telegram_overall_rate == 30.0
    shared = Config.from_env({"YIMEN_SECRET_KEY": "k", "YIMEN_TELEGRAM_OVERALL_RATE": "14.5"})
    assert shared.telegram_overall_rate == 14.5
    for bad in ("0", "-3", "fast", "inf"):
        with pytest.raises(ConfigError, match="YIMEN_TELEGRAM_OVERALL_RATE"):
            Config.from_env({"YIMEN_SECRET_KEY": "k", "YIMEN_TELEGRAM_OVERALL_RATE": bad})
