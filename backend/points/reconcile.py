"""Reconciliation: the ledgers prove themselves from their own entries (``yimen points check``,
``yimen funds check``).

Every balance shown anywhere is what the database sums; here each is summed again, entry by
entry, and compared. The points ledger is double entry: every transaction sums to zero, so the
whole ledger does; only the issuer goes below zero; a reversal mirrors the one transaction it
names, once; a used redemption code names the transaction that moved its points. A fund is
single entry: its balance is donations less spending plus corrections, never below zero at any
point, and each correction cancels exactly one earlier entry of its own fund.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from backend.points.fund_ports import Fund, FundEntry, FundEntryKind, FundsUnitOfWork
from backend.points.funds import CORRECTION
from backend.points.ports import Account, Code, Entry, Holder, LedgerUnitOfWork
from backend.store.base import Transaction

REVERSAL = "reversal"
REDEMPTION = "redemption"


class Books(Protocol):
    """Every row of the ledgers, in the order written."""

    async def point_accounts(self) -> list[Account]: ...

    async def point_entries(self) -> list[Entry]: ...

    async def used_codes(self) -> list[tuple[str, Code]]:
        """Redemption codes marked used, with their hashes."""

    async def funds(self) -> list[Fund]: ...

    async def fund_entries(self) -> list[FundEntry]: ...


class BooksUnitOfWork(LedgerUnitOfWork, FundsUnitOfWork, Transaction, Protocol):
    books: Books


@dataclass(frozen=True, slots=True)
class Mismatch:
    check: str
    subject: str
    detail: str


@dataclass(slots=True)
class Report:
    """What was checked and what did not add up."""

    ledger: str
    counted: dict[str, int] = field(default_factory=dict)
    passed: list[str] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def lines(self) -> list[str]:
        counts = ", ".join(f"{n} {what}" for what, n in self.counted.items())
        lines = [f"{self.ledger}: {counts}"]
        failed = {m.check for m in self.mismatches}
        lines += [f"  ok        {check}" for check in self.passed if check not in failed]
        lines += [f"  MISMATCH  {m.check}: {m.subject}: {m.detail}" for m in self.mismatches]
        lines.append(f"{self.ledger}: " + ("every check passed" if self.ok else
                                           f"{len(self.mismatches)} mismatch(es)"))
        return lines


class _Checks:
    def __init__(self, report: Report) -> None:
        self._report = report

    def check(self, name: str) -> None:
        self._report.passed.append(name)

    def fail(self, check: str, subject: str, detail: str) -> None:
        self._report.mismatches.append(Mismatch(check, subject, detail))


# ---------------------------------------------------------------------- points


async def check_points(uow: BooksUnitOfWork) -> Report:
    """Reconcile the credit-points ledger (read in the caller's unit of work)."""
    accounts = await uow.books.point_accounts()
    entries = await uow.books.point_entries()
    shown = {a.id: await uow.points.balance(a.id) for a in accounts}
    return points_report(accounts, entries, shown, await uow.books.used_codes())


def points_report(accounts: list[Account], entries: list[Entry], shown: dict[int, int],
                  codes: Iterable[tuple[str, Code]]) -> Report:
    """The checks over rows already read: ``shown`` is each account's balance as the ledger reports it."""
    report = Report("points", {"accounts": len(accounts), "entries": len(entries)})
    checks = _Checks(report)
    by_id = {a.id: a for a in accounts}
    names = {a.id: f"{a.holder.value}:{a.ref}" for a in accounts}
    transactions: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        transactions[entry.txn].append(entry)
    report.counted["transactions"] = len(transactions)

    checks.check("every entry belongs to an account")
    for entry in entries:
        if entry.account_id not in by_id:
            checks.fail("every entry belongs to an account", f"transaction {entry.txn}",
                        f"account {entry.account_id} does not exist")

    checks.check("every balance equals the sum of its entries")
    summed: dict[int, int] = defaultdict(int)
    for entry in entries:
        summed[entry.account_id] += entry.amount
    for account in accounts:
        if shown.get(account.id) != summed[account.id]:
            checks.fail("every balance equals the sum of its entries", f"account {names[account.id]}",
                        f"balance {shown.get(account.id)}, entries sum to {summed[account.id]}")

    checks.check("every transaction balances to zero (double entry)")
    for txn, parts in transactions.items():
        total = sum(e.amount for e in parts)
        if len(parts) < 2 or total != 0:
            checks.fail("every transaction balances to zero (double entry)", f"transaction {txn}",
                        f"{len(parts)} entries summing to {total}")
        if len({e.cause for e in parts}) != 1:
            checks.fail("every transaction balances to zero (double entry)", f"transaction {txn}",
                        f"entries of different causes: {sorted({e.cause for e in parts})}")
    checks.check("the whole ledger sums to zero")
    grand = sum(e.amount for e in entries)
    if grand != 0:
        checks.fail("the whole ledger sums to zero", "ledger", f"entries sum to {grand}")

    checks.check("no holder but the issuer ever went below zero")
    running: dict[int, int] = defaultdict(int)
    for txn, parts in transactions.items():
        for entry in parts:
            running[entry.account_id] += entry.amount
        for entry in parts:
            holder = by_id.get(entry.account_id)
            if holder is not None and holder.holder is not Holder.ISSUER and running[entry.account_id] < 0:
                checks.fail("no holder but the issuer ever went below zero", f"account {names[holder.id]}",
                            f"{running[entry.account_id]} after transaction {txn}")

    _check_reversals(checks, transactions)
    _check_codes(checks, codes, transactions)
    return report


def _check_reversals(checks: _Checks, transactions: dict[str, list[Entry]]) -> None:
    name = "each reversal mirrors one transaction, once"
    checks.check(name)
    reversed_by: dict[str, str] = {}
    for txn, parts in transactions.items():
        if parts[0].cause != REVERSAL:
            continue
        original = transactions.get(parts[0].ref, [])
        if not original or original[0].cause == REVERSAL:
            checks.fail(name, f"reversal {txn}", f"names {parts[0].ref!r}, not a transaction that can be reversed")
            continue
        if sorted((e.account_id, -e.amount) for e in original) != sorted((e.account_id, e.amount) for e in parts):
            checks.fail(name, f"reversal {txn}", f"does not mirror transaction {parts[0].ref}")
        if parts[0].ref in reversed_by:
            checks.fail(name, f"transaction {parts[0].ref}",
                        f"reversed twice ({reversed_by[parts[0].ref]} and {txn})")
        reversed_by[parts[0].ref] = txn


def _check_codes(checks: _Checks, codes: Iterable[tuple[str, Code]], transactions: dict[str, list[Entry]]) -> None:
    name = "each used code moved its points once"
    checks.check(name)
    seen: dict[str, str] = {}
    for code_hash, code in codes:
        subject = f"code {code_hash[:12]}…"
        if code.txn is None:
            # Marked used and its transaction written in one unit of work: never seen apart.
            checks.fail(name, subject, "used, but names no transaction")
            continue
        parts = transactions.get(code.txn, [])
        paid = [e for e in parts if e.account_id == code.account_id and e.amount == -code.points]
        if not parts or parts[0].cause != REDEMPTION or not paid:
            checks.fail(name, subject, f"transaction {code.txn} does not take {code.points} points from its holder")
        if code.txn in seen:
            checks.fail(name, subject, f"shares transaction {code.txn} with another code")
        seen[code.txn] = code_hash


# ---------------------------------------------------------------------- funds


async def check_funds(uow: BooksUnitOfWork) -> Report:
    """Reconcile the named funds (read in the caller's unit of work)."""
    funds = await uow.books.funds()
    shown = {f.id: await uow.funds.balance(f.id) for f in funds}
    totals = {f.id: await uow.funds.totals(f.id) for f in funds}
    return funds_report(funds, await uow.books.fund_entries(), shown, totals)


def funds_report(funds: list[Fund], entries: list[FundEntry], shown: dict[int, Decimal],
                 totals: dict[int, dict[FundEntryKind, Decimal]]) -> Report:
    """The checks over rows already read: ``shown`` and ``totals`` as the fund reports them."""
    report = Report("funds", {"funds": len(funds), "entries": len(entries)})
    checks = _Checks(report)
    codes = {f.id: f.code for f in funds}
    by_fund: dict[int, list[FundEntry]] = defaultdict(list)
    for entry in entries:
        by_fund[entry.fund_id].append(entry)

    checks.check("every entry belongs to a fund")
    for fund_id in by_fund.keys() - codes.keys():
        checks.fail("every entry belongs to a fund", f"fund {fund_id}", "does not exist")

    checks.check("every amount has the sign of its kind")
    for entry in entries:
        wrong = entry.amount == 0 if entry.kind is FundEntryKind.CORRECTION else entry.amount <= 0
        if wrong:
            checks.fail("every amount has the sign of its kind", f"entry {entry.id}",
                        f"{entry.kind.value} of {entry.amount}")

    for name in ("every balance equals the sum of its entries", "totals per kind add up to the balance",
                 "no balance ever went below zero"):
        checks.check(name)
    for fund in funds:
        mine = by_fund[fund.id]
        summed = sum((e.signed for e in mine), Decimal("0.00"))
        if shown.get(fund.id) != summed:
            checks.fail("every balance equals the sum of its entries", f"fund {fund.code}",
                        f"balance {shown.get(fund.id)}, entries sum to {summed}")
        per_kind = {kind: sum((e.amount for e in mine if e.kind is kind), Decimal("0.00")) for kind in FundEntryKind}
        reported = totals.get(fund.id, {})
        if reported != per_kind:
            checks.fail("totals per kind add up to the balance", f"fund {fund.code}",
                        f"totals {_plain(reported)}, entries give {_plain(per_kind)}")
        net = per_kind[FundEntryKind.DONATION] - per_kind[FundEntryKind.SPENDING] + per_kind[FundEntryKind.CORRECTION]
        if net != summed:
            checks.fail("totals per kind add up to the balance", f"fund {fund.code}",
                        f"donations − spending + corrections = {net}, balance {summed}")
        running = Decimal("0.00")
        for entry in mine:
            running += entry.signed
            if running < 0:
                checks.fail("no balance ever went below zero", f"fund {fund.code}",
                            f"{running} after entry {entry.id}")
                break

    _check_corrections(checks, entries)
    return report


def _check_corrections(checks: _Checks, entries: list[FundEntry]) -> None:
    name = "each correction cancels one earlier entry of its fund, once"
    checks.check(name)
    by_id = {e.id: e for e in entries}
    corrected: set[int] = set()
    for entry in entries:
        if (entry.kind is FundEntryKind.CORRECTION) != entry.ref.startswith(CORRECTION):
            checks.fail(name, f"entry {entry.id}", f"{entry.kind.value} with reference {entry.ref!r}")
            continue
        if entry.kind is not FundEntryKind.CORRECTION:
            continue
        target_id = entry.ref.removeprefix(CORRECTION)
        target = by_id.get(int(target_id)) if target_id.isdigit() else None
        if (target is None or target.fund_id != entry.fund_id or target.id >= entry.id
                or target.kind is FundEntryKind.CORRECTION):
            checks.fail(name, f"entry {entry.id}", f"names {entry.ref!r}, not an earlier entry it can cancel")
            continue
        if entry.amount != -target.signed:
            checks.fail(name, f"entry {entry.id}",
                        f"{entry.amount} does not cancel entry {target.id} ({target.signed})")
        if target.id in corrected:
            checks.fail(name, f"entry {target.id}", "corrected twice")
        corrected.add(target.id)


def _plain(totals: dict[FundEntryKind, Decimal]) -> str:
    return ", ".join(f"{kind.value} {amount}" for kind, amount in totals.items())
