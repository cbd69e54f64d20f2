"""Reconciliation (``yimen points check``, ``yimen funds check``): the ledgers prove themselves,
and a row that does not add up is named."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from backend.db.database import Database
from backend.points import funds
from backend.points.fund_ports import FundEntryKind, FundHolder
from backend.points.funds import FundError
from backend.points.ledger import Donation, Ledger, LedgerError
from backend.points.ports import Holder
from backend.points.reconcile import check_funds, check_points
from bot.cli import main
from tests.cases.helpers import NOW, PACK

LEDGER = Ledger(PACK)
PROJECTS = {"warm_winter"}
VOLUNTEERS = ("v1", "v2", "v3")
ZERO = Decimal("0.00")

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
operations = st.lists(st.one_of(
    st.tuples(st.just("credit"), st.sampled_from(VOLUNTEERS), st.decimals(min_value=Decimal("0.1"),
                                                                          max_value=Decimal("8"), places=1)),
    st.tuples(st.just("points_donation"), st.sampled_from(("e1", "e2")), amounts),
    st.tuples(st.just("redeem"), st.sampled_from(VOLUNTEERS), st.integers(1, 60)),
    st.tuples(st.just("correction"), st.integers(0, 30)),
    st.tuples(st.just("fund_donation"), st.sampled_from(("a", "b")), amounts),
    st.tuples(st.just("spending"), st.sampled_from(("a", "b")), amounts,
              st.sampled_from(("warm_winter", "HB-2026-000123"))),
    st.tuples(st.just("fund_correction"), st.integers(0, 30)),
), max_size=30)


@dataclass
class Model:
    """What the balances must be, kept by the test apart from the ledger."""

    prefix: str
    points: dict[tuple[Holder, str], int] = field(default_factory=dict)
    transactions: list[tuple[str, list[tuple[tuple[Holder, str], int]]]] = field(default_factory=list)
    reversed: set[str] = field(default_factory=set)
    reversals: set[str] = field(default_factory=set)
    balance: dict[str, Decimal] = field(default_factory=dict)
    totals: dict[str, dict[FundEntryKind, Decimal]] = field(default_factory=dict)
    entries: list[tuple[str, int, Decimal]] = field(default_factory=list)  # fund, id, signed
    corrected: set[int] = field(default_factory=set)

    def move(self, txn: str, moves: list[tuple[tuple[Holder, str], int]]) -> None:
        for key, amount in moves:
            self.points[key] = self.points.get(key, 0) + amount
        self.transactions.append((txn, moves))

    def reversible(self, txn: str, moves: list[tuple[tuple[Holder, str], int]]) -> bool:
        """Neither reversed nor a reversal, and every holder it paid still has the points."""
        return txn not in self.reversed and txn not in self.reversals and all(
            self.points[key] >= amount for key, amount in moves if amount > 0 and key[0] is not Holder.ISSUER)

    def post(self, fund: str, kind: FundEntryKind, amount: Decimal, entry_id: int) -> None:
        signed = -amount if kind is FundEntryKind.SPENDING else amount
        self.balance[fund] += signed
        self.totals[fund][kind] += amount
        if kind is not FundEntryKind.CORRECTION:
            self.entries.append((fund, entry_id, signed))


async def _known(ref: str) -> bool:
    return ref in PROJECTS


async def _apply(database: Database, model: Model, step: int, op: tuple) -> None:
    """One operation in its own unit of work; a refusal must be one the rules call for, and leaves nothing."""
    now = NOW + timedelta(minutes=step)
    p = model.prefix
    async with database.unit_of_work() as uow:
        match op:
            case ("credit", who, hours):
                allowed = int(hours * 10) > 0  # 10 points an hour, rounded down
                step_ = LEDGER.credit_task(uow, p + who, who, hours=hours, task=f"T{step}", by="wang", now=now)
            case ("points_donation", who, amount):
                allowed = int(amount / 10) > 0  # a point per ¥10, rounded down
                step_ = LEDGER.record_donation(uow, Holder.ENTERPRISE, p + who, who, kind=Donation.MONEY,
                                               amount=amount, by="wang", now=now)
            case ("redeem", who, points):
                allowed = model.points.get((Holder.VOLUNTEER, p + who), 0) >= points
                step_ = _redeem(uow, p + who, p + "shop", points, now)
            case ("correction", index):
                if not model.transactions:
                    return
                original, undone = model.transactions[index % len(model.transactions)]
                allowed = model.reversible(original, undone)
                step_ = LEDGER.reverse(uow, original, reason="录入错误", by="boss", now=now)
            case ("fund_donation", fund, amount):
                allowed = True
                step_ = funds.donate(uow, p + fund, amount=amount, ref="receipt", by="wang", now=now)
            case ("spending", fund, amount, ref):
                allowed = ref in PROJECTS and amount <= model.balance[p + fund]
                step_ = funds.spend(uow, p + fund, amount=amount, ref=ref, by="wang", now=now, known=_known)
            case ("fund_correction", index):
                if not model.entries:
                    return
                fund, entry_id, signed = model.entries[index % len(model.entries)]
                allowed = entry_id not in model.corrected and model.balance[fund] >= signed
                step_ = funds.correct(uow, fund, entry_id, reason="录入错误", by="boss", now=now)
        try:
            done = await step_
        except (LedgerError, FundError) as refused:
            assert not allowed, (op, refused)
            return
        assert allowed, op
        await uow.commit()
    match op:
        case ("credit", who, _):
            txn, points = done
            model.move(txn, [((Holder.ISSUER, "fund"), -points), ((Holder.VOLUNTEER, p + who), points)])
        case ("points_donation", who, _):
            txn, points = done
            model.move(txn, [((Holder.ISSUER, "fund"), -points), ((Holder.ENTERPRISE, p + who), points)])
        case ("redeem", who, points):
            model.move(done, [((Holder.VOLUNTEER, p + who), -points), ((Holder.MERCHANT, p + "shop"), points)])
        case ("correction", _):
            model.reversed.add(original)
            model.reversals.add(done)
            model.move(done, [(key, -amount) for key, amount in undone])
        case ("fund_correction", _):
            model.corrected.add(entry_id)
            assert done.amount == -signed
            model.post(fund, done.kind, done.amount, done.id)
        case _:
            model.post(p + op[1], done.kind, done.amount, done.id)


async def _redeem(uow, holder: str, shop: str, points: int, now) -> str:
    code = await LEDGER.issue_code(uow, Holder.VOLUNTEER, holder, points=points, now=now)
    txn, moved = await LEDGER.redeem(uow, shop, "小店", code, by="shop", now=now)
    assert moved == points
    return txn


async def _scenario(url: str, ops: list[tuple]) -> None:
    database = Database(url)
    await database.connect()
    try:
        model = Model(prefix=uuid4().hex[:8] + "-")
        async with database.unit_of_work() as uow:
            for fund in ("a", "b"):
                await funds.create_fund(uow, code=model.prefix + fund, name="基金", holder=FundHolder.ENTERPRISE,
                                        holder_ref="e1", by="boss", now=NOW)
                model.balance[model.prefix + fund] = ZERO
                model.totals[model.prefix + fund] = dict.fromkeys(FundEntryKind, ZERO)
            await uow.commit()
        for step, op in enumerate(ops):
            await _apply(database, model, step, op)
        async with database.unit_of_work() as uow:
            points, money = await check_points(uow), await check_funds(uow)
            assert points.ok, points.lines()
            assert money.ok, money.lines()
            for (holder, ref), expected in model.points.items():
                if holder is not Holder.ISSUER:
                    assert (await LEDGER.balance(uow, holder, ref))[1] == expected, (holder, ref)
            for code, expected in model.balance.items():
                shown = await funds.statement(uow, code)
                assert shown.balance == expected and shown.totals == model.totals[code], code
    finally:
        await database.dispose()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_after_any_sequence_of_operations_both_ledgers_reconcile(database_url, emptied, ops):
    asyncio.run(_scenario(database_url, ops))


@pytest.fixture
def emptied(database):
    """The tables emptied once for the whole test: each example then works under its own names."""
    return database


async def _books_with_a_credit_and_a_fund(url: str) -> None:
    database = Database(url)
    await database.connect()
    try:
        async with database.unit_of_work() as uow:
            await LEDGER.credit_task(uow, "v1", "李华", hours=Decimal("2"), task="T1", by="wang", now=NOW)
            await funds.create_fund(uow, code="fx", name="基金", holder=FundHolder.ENTERPRISE, holder_ref="e1",
                                    by="boss", now=NOW)
            await funds.donate(uow, "fx", amount=Decimal("100"), ref="receipt", by="wang", now=NOW)
            await uow.commit()
    finally:
        await database.dispose()


async def _insert(url: str, statement: str) -> None:
    database = Database(url)
    await database.connect()
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text(statement), {"at": NOW})
    finally:
        await database.dispose()


def _check(ledger: str, monkeypatch: pytest.MonkeyPatch, url: str) -> tuple[int, str]:
    monkeypatch.setenv("YIMEN_DATABASE_URL", url)
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    return main([ledger, "check"]), out.getvalue()


def test_the_commands_pass_books_that_add_up(database_url, emptied, monkeypatch):
    asyncio.run(_books_with_a_credit_and_a_fund(database_url))
    for ledger in ("points", "funds"):
        status, report = _check(ledger, monkeypatch, database_url)
        assert status == 0, report
        assert "MISMATCH" not in report and report.rstrip().endswith(f"{ledger}: every check passed")
    assert "2 accounts, 2 entries, 1 transactions" in _check("points", monkeypatch, database_url)[1]
    assert "ok        every balance equals the sum of its entries" in _check("funds", monkeypatch, database_url)[1]


def test_a_one_sided_entry_breaks_double_entry_and_the_command_says_so(database_url, emptied, monkeypatch):
    asyncio.run(_books_with_a_credit_and_a_fund(database_url))
    # Written straight into the table (an INSERT is all the guards allow): points from nowhere.
    asyncio.run(_insert(database_url, "INSERT INTO point_entries (txn, account_id, amount, cause, ref, note, by, at) "
                                      "SELECT 'forged', id, 500, 'task', 'T9', '', 'x', :at FROM point_accounts "
                                      "WHERE holder = 'volunteer'"))
    status, report = _check("points", monkeypatch, database_url)
    assert status == 1
    assert "MISMATCH  every transaction balances to zero (double entry): transaction forged: 1 entries summing to 500" \
        in report
    assert "MISMATCH  the whole ledger sums to zero: ledger: entries sum to 500" in report
    assert report.rstrip().endswith("points: 2 mismatch(es)")


def test_money_spent_beyond_the_balance_or_a_stray_correction_is_named(database_url, emptied, monkeypatch):
    asyncio.run(_books_with_a_credit_and_a_fund(database_url))
    asyncio.run(_insert(database_url, "INSERT INTO fund_entries (fund_id, kind, amount, ref, note, by, at) "
                                      "SELECT id, 'spending', 150, 'warm_winter', '', 'x', :at FROM funds"))
    asyncio.run(_insert(database_url, "INSERT INTO fund_entries (fund_id, kind, amount, ref, note, by, at) "
                                      "SELECT id, 'correction', 80, 'correction:999', '', 'x', :at FROM funds"))
    status, report = _check("funds", monkeypatch, database_url)
    assert status == 1
    assert "MISMATCH  no balance ever went below zero: fund fx: -50.00 after entry 2" in report
    assert "MISMATCH  each correction cancels one earlier entry of its fund, once: entry 3: names 'correction:999'" \
        in report


def test_a_balance_that_is_not_the_sum_of_its_entries_is_named():
    from backend.points.ports import Account, Entry
    from backend.points.reconcile import points_report

    accounts = [Account(1, Holder.ISSUER, "fund", "fund"), Account(2, Holder.VOLUNTEER, "v1", "李华")]
    entries = [Entry("t", 1, -20, "task", "T1", "", "wang", NOW), Entry("t", 2, 20, "task", "T1", "", "wang", NOW)]
    report = points_report(accounts, entries, {1: -20, 2: 25}, [])
    assert not report.ok
    assert [(m.check, m.subject, m.detail) for m in report.mismatches] == [
        ("every balance equals the sum of its entries", "account volunteer:v1", "balance 25, entries sum to 20")]
