"""YIMEN_TELEGRAM_OVERALL_RATE and YIMEN_TELEGRAM_SENDERS: Telegram's flood limits shared by the
processes that send for one bot."""

from __future__ import annotations

import pytest

from backend.config import Config, ConfigError
from bot.serve import _flood_share
from bot.telegram.limits import FloodLimits, TokenBucket


def test_the_settings_are_read_and_checked():
    plain = Config.from_env({"YIMEN_SECRET_KEY": "k"})
    assert (plain.telegram_overall_rate, plain.telegram_senders) == (30.0, 1)
    shared = Config.from_env({"YIMEN_SECRET_KEY": "k", "YIMEN_TELEGRAM_OVERALL_RATE": "100",
                              "YIMEN_TELEGRAM_SENDERS": "4"})
    assert (shared.telegram_overall_rate, shared.telegram_senders) == (100.0, 4)
    assert Config.from_env({"YIMEN_SECRET_KEY": "k", "YIMEN_TELEGRAM_CHAT_RATE": "50"}).telegram_chat_rate == 50
    for name in ("YIMEN_TELEGRAM_OVERALL_RATE", "YIMEN_TELEGRAM_CHAT_RATE", "YIMEN_TELEGRAM_CHAT_BURST"):
        for bad in ("0", "-3", "fast", "inf"):
            with pytest.raises(ConfigError, match=name):
                Config.from_env({"YIMEN_SECRET_KEY": "k", name: bad})
    for bad in ("0", "1.5", "two"):
        with pytest.raises(ConfigError, match="YIMEN_TELEGRAM_SENDERS"):
            Config.from_env({"YIMEN_SECRET_KEY": "k", "YIMEN_TELEGRAM_SENDERS": bad})


def sends_in(limits: FloodLimits, seconds: float) -> int:
    """How many sends to one chat a process's limiter lets through in ``seconds``, sending as fast as it may."""
    clock = [0.0]
    bucket = TokenBucket(limits._chat_burst, limits._chat_rate, lambda: clock[0])
    sent = 0
    while True:
        wait = bucket.wait()
        if wait == 0:
            sent += 1
        elif clock[0] + wait > seconds:
            return sent
        else:
            clock[0] += wait + 1e-9  # past float rounding, or it would wait forever


@pytest.mark.parametrize("senders", [1, 2, 3])
def test_n_processes_together_keep_to_one_chats_limit(senders):
    """Telegram allows a chat about 1 message a second in bursts of 3: the N processes' shares,
    each sending as fast as its own limiter lets it, add up to no more than that."""
    share = _flood_share(Config.from_env({"YIMEN_SECRET_KEY": "k", "YIMEN_TELEGRAM_SENDERS": str(senders)}))
    limits = FloodLimits(per_chat_rate=share["per_chat_rate"], per_chat_burst=share["per_chat_burst"],
                         overall_rate=share["overall_rate"])
    seconds = 10.0
    together = senders * sends_in(limits, seconds)
    assert together <= 3 + seconds * 1.0  # Telegram's burst, then one a second
    assert together >= seconds * 0.9 - senders  # and not far below it
    assert share["overall_rate"] * senders == pytest.approx(30.0)
