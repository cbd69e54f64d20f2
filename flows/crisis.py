"""The crisis words, kept as data (``flows/crisis_words.yaml``) and read by the composition root."""

from __future__ import annotations

from pathlib import Path

import yaml

DEFAULT = Path(__file__).resolve().parent / "crisis_words.yaml"


def load_crisis_words(path: Path = DEFAULT) -> tuple[str, ...]:
    """Every language's words, folded as ``mentions_crisis`` folds text.

    Raises:
        ValueError: the file is not a mapping of language to a list of words.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise ValueError(f"{path}: expected a list of words per language")
    return tuple(sorted({"".join(str(w).split()).casefold() for words in data.values() for w in words}))


def mentions_crisis(text: str, words: tuple[str, ...]) -> bool:
    """Whether ``text`` contains one of the crisis words or phrases, ignoring case and spacing."""
    if not words:
        return False
    folded = "".join(text.split()).casefold()
    return any(word in folded for word in words)
