"""``yimen points check`` and ``yimen funds check``: reconcile a ledger and say whether it adds up."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from backend.config import Config


def add_arguments(parser: argparse.ArgumentParser, ledger: str) -> None:
    sub = parser.add_subparsers(dest=f"{ledger}_command", required=True)
    what = "every account's balance against its entries, double entry, reversals and used codes" \
        if ledger == "points" else "every fund's balance and totals against its entries, and its corrections"
    sub.add_parser("check", help=f"reconcile {what}; exits 1 on a mismatch")


async def run(config: Config, args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Print the report; 0 when every check passed, 1 on a mismatch."""
    from backend.db.database import Database
    from backend.db.migrate import upgrade
    from backend.points.reconcile import check_funds, check_points

    out = out or sys.stdout
    if config.embedded:
        await upgrade(config.database_url)
    database = Database(config.database_url)
    await database.connect()
    try:
        async with database.unit_of_work() as uow:
            report = await (check_points(uow) if args.command == "points" else check_funds(uow))
    finally:
        await database.dispose()
    for line in report.lines():
        print(line, file=out)
    return 0 if report.ok else 1
