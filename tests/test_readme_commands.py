"""The README's command table lists every command of ``yimen`` and nothing else: the list is read
from bot/cli.py's parser, so a new subcommand without its row fails here."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

from bot.cli import _parser

README = Path(__file__).resolve().parent.parent / "README.md"
# A row's command: the words after `yimen` up to the first option, argument or placeholder.
_ROW = re.compile(r"^\| `yimen ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)*)")


def commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    """Every runnable command of the parser, subcommands spelled out (``users add``, ``monitor link``)."""
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not groups:
        yield " ".join(prefix)
        return
    for name, sub in groups[0].choices.items():
        yield from commands(sub, (*prefix, name))


def table_commands(text: str) -> list[str]:
    section = text[text.index("\n## Commands\n"):]
    section = section[:section.index("\n## ", 1)]
    found = []
    for line in section.splitlines():
        matched = _ROW.match(line)
        if matched:
            found.append(matched.group(1))
    return found


def test_every_command_of_the_parser_has_its_row_in_the_readme() -> None:
    listed = table_commands(README.read_text(encoding="utf-8"))
    existing = list(commands(_parser()))
    assert "monitor link" in existing and "users add" in existing
    missing = sorted(set(existing) - set(listed))
    assert not missing, f"commands missing from the README's command table: {missing}"


def test_the_readme_lists_no_command_that_does_not_exist() -> None:
    listed = table_commands(README.read_text(encoding="utf-8"))
    unknown = sorted(set(listed) - set(commands(_parser())))
    assert not unknown, f"the README's command table lists commands that do not exist: {unknown}"
    assert len(listed) == len(set(listed)), "a command has two rows"


def test_the_table_reader_sees_a_missing_row() -> None:
    text = README.read_text(encoding="utf-8")
    without = "\n".join(line for line in text.splitlines() if not line.startswith("| `yimen monitor link"))
    assert "monitor link" not in table_commands(without)
    assert "monitor link" in table_commands(text)
