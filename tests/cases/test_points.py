"""The credit-points ledger: earned, redeemed once, reversed, never below zero, always balanced."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from backend.db.models import PointEntryRow
from backend.points.ledger import Donation, Ledger, LedgerError
from backend.points.ports import Holder
from tests.cases.helpers import NOW, PACK

LEDGER = Ledger(PACK)


async def run(database, step):
    async with database.unit_of_work() as uow:
        result = await step(uow)
        await uow.commit()
    return result


async def balance(database, holder, ref):
    return await run(database, lambda uow: LEDGER.balance(uow, holder, ref))


async def test_a_task_and_donations_earn_points_from_the_pack_rates(database):
    _, points = await run(database, lambda uow: LEDGER.credit_task(
        uow, "v1", "李华", hours=Decimal("2.5"), task="T1", by="wang", now=NOW))
    assert points == 25  # 10 points an hour
    _, money = await run(database, lambda uow: LEDGER.record_donation(
        uow, Holder.ENTERPRISE, "e1", "明湖超市", kind=Donation.MONEY, amount=Decimal("1999"), by="wang", now=NOW))
    assert money == 199  # 1 point per ¥10, rounded down
    _, goods = await run(database, lambda uow: LEDGER.record_donation(
        uow, Holder.RESIDENT, "r1", "张三", kind=Donation.GOODS, amount=Decimal("100"), by="wang", now=NOW))
    assert goods == 5
    assert (await balance(database, Holder.VOLUNTEER, "v1"))[1] == 25
    assert (await balance(database, Holder.ISSUER, "fund"))[1] == -(25 + 199 + 5)
    with pytest.raises(LedgerError, match="too small"):
        await run(database, lambda uow: LEDGER.record_donation(
            uow, Holder.RESIDENT, "r1", "张三", kind=Donation.MONEY, amount=Decimal("9"), by="wang", now=NOW))


async def test_a_donation_worth_more_than_an_entry_holds_is_refused_and_nothing_is_issued(database):
    # 1,477,772,487 hours at 10 points an hour would not fit a ledger entry (found by the API fuzzer).
    with pytest.raises(LedgerError, match="record it in parts") as refused:
        await run(database, lambda uow: LEDGER.record_donation(
            uow, Holder.RESIDENT, "r1", "张三", kind=Donation.TIME, amount=Decimal("1477772487"), by="wang",
            now=NOW))
    assert refused.value.field == "amount"
    assert (await balance(database, Holder.ISSUER, "fund"))[1] == 0


async def test_a_code_is_redeemed_once_even_when_two_merchants_confirm_it_at_once(database):
    await run(database, lambda uow: LEDGER.credit_task(uow, "v1", "李华", hours=Decimal(5), task="T1", by="w", now=NOW))
    code = await run(database, lambda uow: LEDGER.issue_code(uow, Holder.VOLUNTEER, "v1", points=30, now=NOW))

    async def confirm(merchant):
        return await run(database, lambda uow: LEDGER.redeem(uow, merchant, merchant, code, by=merchant, now=NOW))

    results = await asyncio.gather(confirm("m1"), confirm("m2"), return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 1, results
    assert all(isinstance(r, LedgerError) for r in results if isinstance(r, BaseException))
    assert (await balance(database, Holder.VOLUNTEER, "v1"))[1] == 20
    with pytest.raises(LedgerError, match="used or expired"):
        await confirm("m1")


async def test_codes_expire_and_never_take_a_balance_below_zero(database):
    await run(database, lambda uow: LEDGER.credit_task(uow, "v1", "李华", hours=Decimal(3), task="T1", by="w", now=NOW))
    with pytest.raises(LedgerError, match="balance is 30"):
        await run(database, lambda uow: LEDGER.issue_code(uow, Holder.VOLUNTEER, "v1", points=31, now=NOW))
    first = await run(database, lambda uow: LEDGER.issue_code(uow, Holder.VOLUNTEER, "v1", points=20, now=NOW))
    second = await run(database, lambda uow: LEDGER.issue_code(uow, Holder.VOLUNTEER, "v1", points=20, now=NOW))
    await run(database, lambda uow: LEDGER.redeem(uow, "m1", "店", first, by="m1", now=NOW))
    with pytest.raises(LedgerError, match="no longer covers"):
        await run(database, lambda uow: LEDGER.redeem(uow, "m1", "店", second, by="m1", now=NOW))
    late = await run(database, lambda uow: LEDGER.issue_code(uow, Holder.VOLUNTEER, "v1", points=5, now=NOW))
    with pytest.raises(LedgerError, match="expired"):
        await run(database, lambda uow: LEDGER.redeem(uow, "m1", "店", late, by="m1", now=NOW + timedelta(minutes=11)))
    assert (await balance(database, Holder.VOLUNTEER, "v1"))[1] == 10


async def test_a_reversal_mirrors_a_transaction_once_and_not_below_zero(database):
    txn, _ = await run(database, lambda uow: LEDGER.credit_task(
        uow, "v1", "李华", hours=Decimal(2), task="T1", by="w", now=NOW))
    await run(database, lambda uow: LEDGER.reverse(uow, txn, reason="录入错误", by="boss", now=NOW))
    assert (await balance(database, Holder.VOLUNTEER, "v1"))[1] == 0
    with pytest.raises(LedgerError, match="reversed already"):
        await run(database, lambda uow: LEDGER.reverse(uow, txn, reason="again", by="boss", now=NOW))
    spent, _ = await run(database, lambda uow: LEDGER.credit_task(
        uow, "v2", "王五", hours=Decimal(1), task="T2", by="w", now=NOW))
    code = await run(database, lambda uow: LEDGER.issue_code(uow, Holder.VOLUNTEER, "v2", points=10, now=NOW))
    await run(database, lambda uow: LEDGER.redeem(uow, "m1", "店", code, by="m1", now=NOW))
    with pytest.raises(LedgerError, match="spent already"):
        await run(database, lambda uow: LEDGER.reverse(uow, spent, reason="x", by="boss", now=NOW))


async def test_every_transaction_balances_and_entries_cannot_be_rewritten(database):
    await run(database, lambda uow: LEDGER.credit_task(uow, "v1", "李华", hours=Decimal(4), task="T1", by="w", now=NOW))
    code = await run(database, lambda uow: LEDGER.issue_code(uow, Holder.VOLUNTEER, "v1", points=15, now=NOW))
    await run(database, lambda uow: LEDGER.redeem(uow, "m1", "店", code, by="m1", now=NOW))
    async with database.engine.connect() as connection:
        unbalanced = await connection.scalar(
            select(func.count()).select_from(
                select(PointEntryRow.txn).group_by(PointEntryRow.txn)
                .having(func.sum(PointEntryRow.amount) != 0).subquery()
            )
        )
        assert unbalanced == 0
    with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
        async with database.engine.begin() as connection:
            await connection.execute(text("UPDATE point_entries SET amount = 1000"))
