"""A stored trace reads back into the same sentences as a fresh assessment; console passwords from
the command line; the first administrator of an empty database."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from backend.commands.users import run
from backend.config import Config
from backend.console.charts import Bar, bars, radar
from backend.console.trace import sentences
from backend.policy.assess import assess
from backend.policy.cases import load_cases
from backend.policy.explain import explain_rule
from backend.staff.accounts import first_admin
from backend.staff.passwords import verify_password
from locales import Translations
from tests.cases.helpers import NOW, PACK
from tests.cases.test_users_cli import parse

CASES = [case for found in load_cases(Path(__file__).resolve().parents[2] / "backend" / "policies" / "demo" / "cases")
         for case in found.cases]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_stored_trace_is_explained_exactly_as_a_fresh_one(locale):
    messages = Translations()(locale)
    for case in CASES:
        result = assess(case.household, case.date, PACK)
        stored = json.loads(json.dumps(result.as_json()))
        assert sentences(stored, messages) == [explain_rule(e, messages) for e in result.trace], case.name


def test_charts_escape_their_labels():
    drawn = str(bars([Bar("<script>", 3)], title="a & b")) + str(radar([("<b>", 50.0)] * 7, title="t"))
    assert "<script>" not in drawn and "&lt;script&gt;" in drawn and "a &amp; b" in drawn


async def _call(config: Config, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await run(config, parse(*argv), out, err, io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


async def test_console_passwords_from_the_command_line(tmp_path: Path, database, database_url):
    config = Config(database_url=database_url, locale="zh_CN", data_dir=tmp_path, secret_key=b"k")
    code, out, _ = await _call(config, "add", "wang", "--role", "caseworker", "--office", "hubin", "--password")
    assert code == 0
    generated = out.split("console password (shown once): ")[1].strip()
    async with database.unit_of_work() as uow:
        assert verify_password((await uow.console.credentials("wang")).password_hash, generated)
    code, _, err = await _call(config, "password", "wang", stdin="short\n")
    assert code == 2 and "at least 10 characters" in err
    code, out, _ = await _call(config, "password", "wang", stdin="a long enough one\n")
    assert code == 0 and "is set" in out and "a long enough one" not in out
    async with database.unit_of_work() as uow:
        assert verify_password((await uow.console.credentials("wang")).password_hash, "a long enough one")
    code, out, _ = await _call(config, "password", "wang", "--generate")
    assert code == 0 and "(shown once)" in out
    code, _, err = await _call(config, "password", "nobody", "--generate")
    assert code == 2 and "no user 'nobody'" in err


async def test_the_first_administrator_is_created_once(database):
    async with database.unit_of_work() as uow:
        created = await first_admin(uow, PACK.regions, now=NOW)
        await uow.commit()
    assert created is not None and created[0] == "admin"
    async with database.unit_of_work() as uow:
        assert verify_password((await uow.console.credentials("admin")).password_hash, created[1])
        assert await first_admin(uow, PACK.regions, now=NOW) is None
