"""``yimen assess FILE.json``: evaluate one household and print the result as JSON or sentences.

Exit codes: 0 done; 2 the file, its contents, the date or the pack cannot be used (the message
names the field). Never a traceback for bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from backend.policy.household import Household

LANGUAGES = ("zh_CN", "en")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``yimen assess``, for this module's parser and for the ``yimen`` command's."""
    parser.add_argument("file", help="the household as JSON (the household part of an application); - reads stdin")
    parser.add_argument("--date", type=_date, help="whose parameters apply, YYYY-MM-DD (default: today in the region)")
    parser.add_argument("--region", default="demo", help="the policy pack (default: demo)")
    parser.add_argument("--lang", choices=LANGUAGES, default="zh_CN", help="language of --explain (default: zh_CN)")
    parser.add_argument("--explain", action="store_true", help="print readable sentences instead of JSON")


def _read(file: str) -> tuple[str, object]:
    """The file's name for messages and its parsed JSON; numbers stay exact as Decimal.

    Raises:
        JsonRefused: not UTF-8, not JSON, nested too deep or a number too long.
    """
    from backend.json_input import parse

    if file == "-":
        return "<stdin>", parse(sys.stdin.buffer.read(), exact=True)
    return file, parse(Path(file).read_bytes(), exact=True)


def _household(data: object) -> Household:
    from backend.application import ApplicationV1
    from backend.policy.household import Household

    # A whole application is accepted too: its household part is what gets assessed.
    if isinstance(data, dict) and "schema_version" in data and "applicant" in data:
        return Household.from_application(ApplicationV1.model_validate(data))
    return Household.model_validate(data)


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Assess the household named by parsed arguments; print the result to ``out``, problems to ``err``."""
    # Looked up per call, not bound at import, so redirected streams are honoured.
    out, err = out or sys.stdout, err or sys.stderr
    from zoneinfo import ZoneInfo

    from pydantic import ValidationError

    from backend.bounds import reported
    from backend.json_input import JsonRefused
    from backend.policy.assess import assess
    from backend.policy.errors import PackError, UnknownRegion
    from backend.policy.pack import load_pack
    from backend.policy.parameters import ParameterNotInForce

    def fail(message: str) -> int:
        for line in message.splitlines():
            print(f"yimen assess: {line}", file=err)
        return 2

    try:
        name, data = _read(args.file)
    except OSError as error:
        return fail(f"{args.file}: cannot read: {error.strerror or error}")
    except JsonRefused as error:
        return fail(f"{args.file}: {error}")
    try:
        household = _household(data)
    except ValidationError as error:
        lines = [
            f"{name}: {'.'.join(str(part) for part in e['loc']) or '(top)'}: {e['msg']}" for e in reported(error)
        ]
        return fail("\n".join(lines))
    try:
        pack = load_pack(args.region)
    except PackError as error:
        return fail(str(error))
    on = args.date or datetime.now(ZoneInfo(pack.regions.timezone)).date()
    try:
        result = assess(household, on, pack)
    except UnknownRegion as error:
        return fail(f"{name}: {error}")
    except ParameterNotInForce as error:
        return fail(f"--date {on.isoformat()}: {error}")
    if args.explain:
        from backend.policy.explain import explain
        from locales import Translations

        messages = Translations(timezone=pack.regions.timezone)(args.lang)
        text = "\n".join(explain(result, messages, pack.regions))
    else:
        text = json.dumps(result.as_json(), ensure_ascii=False, indent=2)
    try:
        print(text, file=out)
        out.flush()
    except BrokenPipeError:
        # The reader went away (``| head``): silence the final flush instead of printing a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def assess_main(argv: list[str]) -> int:
    """``yimen assess FILE.json [--date YYYY-MM-DD] [--region demo] [--lang zh_CN|en] [--explain]``."""
    parser = argparse.ArgumentParser(prog="yimen assess", description="Assess one household under a policy pack.")
    add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # argparse exits 2 on bad options (after printing usage) and 0 on --help
        return int(exit.code or 0)
    return run(args)


if __name__ == "__main__":
    sys.exit(assess_main(sys.argv[1:]))
