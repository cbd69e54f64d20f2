"""Conversation tests as transcripts: every file in tests/transcripts, in each of its locales."""

from __future__ import annotations

import pytest

from tests.bot.transcript import HERE, Player, load

CASES = [
    pytest.param(path, locale, id=f"{path.stem}-{locale}")
    for path in sorted(HERE.glob("*.yaml"))
    for locale in load(path).get("locales", ["zh_CN", "en"])
]


@pytest.mark.parametrize(("path", "locale"), CASES)
async def test_transcript(path, locale, database, database_url, make_conversations, clock):
    player = Player(load(path), locale, database_url, database, make_conversations, clock)
    await player.play()


async def test_full_application_survives_a_restart_between_every_two_turns(
    database, database_url, make_conversations, clock
):
    """A new engine and database connection before every turn: nothing is lost, nothing repeats."""
    player = Player(
        load(HERE / "happy_path_self.yaml"),
        "zh_CN",
        database_url,
        database,
        make_conversations,
        clock,
        restart_every_turn=True,
    )
    await player.play()
    assert len(player.extra_databases) == len(load(HERE / "happy_path_self.yaml")["steps"])
