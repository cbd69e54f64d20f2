"""The volunteer and reply flows (and any other) as golden transcripts, played against the engine alone.

Each script in ``tests/transcripts/engine/*.yaml`` is played and compared, line for line, with
its ``*.expected.txt``: every reply as the resident reads it, with its buttons, and every other
intent. After a deliberate change, regenerate the expected transcripts and review the diff::

    PYTHONPATH=$PWD python3 -m tests.flows.engine_transcript
    git diff tests/transcripts/engine

The intake's transcripts (``tests/transcripts/*.yaml``) go through the whole runner and the
database instead; see ``tests/bot/test_transcripts.py``.
"""

from __future__ import annotations

import pytest
import yaml

from tests.flows.engine_transcript import FLOWS, expected_path, play, scripts


@pytest.mark.parametrize("script", scripts(), ids=lambda path: path.stem)
def test_transcript_matches_the_expected_one(script, translations):
    expected = expected_path(script)
    assert expected.exists(), f"no {expected.name}: regenerate (see this module's docstring)"
    assert play(script, translations) == expected.read_text(encoding="utf-8")


def test_the_volunteer_and_reply_flows_have_transcripts():
    played = {yaml.safe_load(script.read_text(encoding="utf-8"))["flow"] for script in scripts()}
    assert {"volunteer", "reply"} <= played <= set(FLOWS)
