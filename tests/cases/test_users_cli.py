"""``yimen users``: the token is printed once and works; mistakes are explained, exit code 2."""

from __future__ import annotations

import argparse
import io
import re

from backend.commands.users import add_arguments, run
from backend.config import Config
from backend.staff.accounts import authenticate


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


async def call(config: Config, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await run(config, parse(*argv), out, err)
    return code, out.getvalue(), err.getvalue()


async def test_add_prints_a_working_token_once_and_list_shows_the_account(tmp_path, database, database_url):
    config = Config(database_url=database_url, locale="zh_CN", data_dir=tmp_path, secret_key=b"k")
    code, out, _ = await call(config, "add", "wang", "--role", "caseworker", "--office", "hubin", "--name", "王芳",
                              "--telegram-id", "4242", "--on-duty")
    assert code == 0 and "created caseworker wang of hubin" in out
    token = re.search(r"(ym_\S+)", out).group(1)
    async with database.unit_of_work() as uow:
        user = await authenticate(uow, token)
    assert (user.username, user.display_name, user.telegram_id, user.on_duty) == ("wang", "王芳", "4242", True)
    code, out, _ = await call(config, "list")
    assert out.splitlines() == ["wang\tcaseworker\thubin\t王芳\ton duty"]
    code, out, _ = await call(config, "rotate-token", "wang")
    async with database.unit_of_work() as uow:
        assert await authenticate(uow, token) is None
        assert await authenticate(uow, re.search(r"(ym_\S+)", out).group(1)) is not None


async def test_mistakes_are_explained(tmp_path, database, database_url):
    config = Config(database_url=database_url, locale="zh_CN", data_dir=tmp_path, secret_key=b"k")
    assert (await call(config, "add", "wang", "--role", "caseworker", "--office", "hubin"))[0] == 0
    code, _, err = await call(config, "add", "wang", "--role", "caseworker", "--office", "hubin")
    assert code == 2 and "exists already" in err
    code, _, err = await call(config, "add", "li", "--role", "caseworker", "--office", "atlantis")
    assert code == 2 and "unknown office 'atlantis'" in err and "hubin" in err
    code, _, err = await call(config, "duty", "nobody", "on")
    assert code == 2 and "no user 'nobody'" in err
