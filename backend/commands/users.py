"""``yimen users``: add staff and service accounts, list them, put them on duty, rotate tokens,
set console passwords.

A new token or generated password is printed once; only its hash is stored, so a lost one is
replaced, not recovered.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from typing import TextIO

from backend.config import Config
from backend.store.users import DuplicateUser, Role


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser("add", help="create an account and print its API token once")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--office", help="the street office (caseworkers and supervisors)")
    add.add_argument("--name", help="the name residents and colleagues see (default: the username)")
    add.add_argument("--telegram-id", help="the user's numeric Telegram id, to reach them in chat")
    add.add_argument("--on-duty", action="store_true", help="takes emergencies as they arrive")
    add.add_argument("--password", action="store_true",
                     help="also generate a console password and print it once")
    sub.add_parser("list", help="list accounts")
    duty = sub.add_parser("duty", help="put a caseworker on or off duty")
    duty.add_argument("username")
    duty.add_argument("state", choices=("on", "off"))
    rotate = sub.add_parser("rotate-token", help="replace an account's token (the old one stops working)")
    rotate.add_argument("username")
    deactivate = sub.add_parser("deactivate", help="stop an account (its token stops working)")
    deactivate.add_argument("username")
    password = sub.add_parser("password", help="set the account's console password (read from the terminal or "
                              "standard input); ends its sessions and lifts a lock-out")
    password.add_argument("username")
    password.add_argument("--generate", action="store_true", help="generate one and print it once")


def _read_password(source: TextIO) -> str:
    """A new password: asked twice at a terminal, else the first line of standard input."""
    if source.isatty():
        first = getpass.getpass("new password: ")
        if getpass.getpass("again: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return source.readline().rstrip("\r\n")


async def run(config: Config, args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None,
              stdin: TextIO | None = None) -> int:
    from backend.db.opening import opened_database
    from backend.policy.pack import load_pack
    from backend.staff.accounts import AccountError, add_user, rotate_token, set_password
    from backend.staff.passwords import WeakPassword, new_password
    from backend.store.errors import NotFound

    out, err, stdin = out or sys.stdout, err or sys.stderr, stdin or sys.stdin
    chosen: str | None = None
    if args.users_command == "password" and not args.generate:
        try:
            chosen = _read_password(stdin)
        except ValueError as error:
            print(f"yimen users: {error}", file=err)
            return 2
    try:
        async with opened_database(config) as database, database.unit_of_work() as uow:
            command = args.users_command
            if command == "add":
                account = await add_user(
                    uow,
                    load_pack(config.pack).regions,
                    username=args.username,
                    role=Role(args.role),
                    office=args.office,
                    display_name=args.name,
                    telegram_id=args.telegram_id,
                    on_duty=args.on_duty,
                    now=datetime.now(UTC),
                )
                generated = new_password() if args.password else None
                if generated is not None:
                    await set_password(uow, args.username, generated)
                await uow.commit()
                print(f"created {account.user.role.value} {account.user.username}"
                      + (f" of {account.user.office}" if account.user.office else ""), file=out)
                print(f"token (shown once, keep it secret): {account.token}", file=out)
                if generated is not None:
                    print(f"console password (shown once): {generated}", file=out)
            elif command == "list":
                for user in await uow.users.list():
                    flags = [f for f, on in (("on duty", user.on_duty), ("inactive", not user.active)) if on]
                    print("\t".join([user.username, user.role.value, user.office or "-", user.display_name,
                                     ", ".join(flags)]).rstrip(), file=out)
            elif command == "duty":
                await uow.users.update(args.username, on_duty=args.state == "on")
                await uow.commit()
                print(f"{args.username} is {'on' if args.state == 'on' else 'off'} duty", file=out)
            elif command == "rotate-token":
                token = await rotate_token(uow, args.username)
                await uow.commit()
                print(f"new token for {args.username} (shown once): {token}", file=out)
            elif command == "deactivate":
                await uow.users.update(args.username, active=False)
                await uow.commit()
                print(f"{args.username} is deactivated", file=out)
            elif command == "password":
                password = chosen if chosen is not None else new_password()
                await set_password(uow, args.username, password)
                await uow.commit()
                if chosen is None:
                    print(f"console password for {args.username} (shown once): {password}", file=out)
                else:
                    print(f"console password for {args.username} is set", file=out)
    except (AccountError, DuplicateUser, WeakPassword) as error:
        print(f"yimen users: {error}", file=err)
        return 2
    except NotFound as error:
        print(f"yimen users: {error.args[0]}", file=err)
        return 2
    return 0
