"""Named funds: money in and out to the fen, never below zero, entries never changed."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from backend.points import funds
from backend.points.fund_ports import DuplicateFund, FundEntryKind, FundHolder
from backend.points.funds import FundError
from backend.ports import NotFound
from tests.cases.helpers import NOW


async def run(database, step):
    async with database.unit_of_work() as uow:
        result = await step(uow)
        await uow.commit()
    return result


async def open_fund(database, code="minghu-market", holder=FundHolder.ENTERPRISE, ref="e1"):
    return await run(database, lambda uow: funds.create_fund(uow, code=code, name="明湖超市助学基金", holder=holder,
                                                             holder_ref=ref, by="boss", now=NOW))


async def donate(database, amount, code="minghu-market", ref="明湖超市", **kw):
    return await run(database, lambda uow: funds.donate(uow, code, amount=Decimal(amount), ref=ref, by="wang",
                                                        now=NOW, **kw))


# What the spending may name here: a project and an application.
KNOWN = {"warm_winter", "YM20261129000001"}


async def known(ref):
    return ref in KNOWN


async def spend(database, amount, code="minghu-market", ref="warm_winter", **kw):
    return await run(database, lambda uow: funds.spend(uow, code, amount=Decimal(amount), ref=ref, by="wang",
                                                       now=NOW, known=known, **kw))


async def statement(database, code="minghu-market", limit=20):
    return await run(database, lambda uow: funds.statement(uow, code, limit=limit))


async def test_a_fund_is_opened_once_per_code(database):
    fund = await open_fund(database)
    assert (fund.code, fund.holder, fund.holder_ref, fund.created_by, fund.created_at) == (
        "minghu-market", FundHolder.ENTERPRISE, "e1", "boss", NOW)
    async with database.unit_of_work() as uow:
        with pytest.raises(DuplicateFund, match="minghu-market"):
            await funds.create_fund(uow, code="minghu-market", name="x", holder=FundHolder.MERCHANT,
                                    holder_ref="shop", by="root", now=NOW)
        # The refusal leaves the unit of work usable.
        other = await funds.create_fund(uow, code="shop-fund", name="小店基金", holder=FundHolder.MERCHANT,
                                        holder_ref="shop", by="root", now=NOW)
        await uow.commit()
    assert (await statement(database, "shop-fund")).fund == other
    with pytest.raises(NotFound, match="no fund nowhere"):
        await statement(database, "nowhere")


@pytest.mark.parametrize(("code", "name", "ref", "field"), [
    ("x", "基金", "e1", "code"), ("../x", "基金", "e1", "code"), ("x" * 49, "基金", "e1", "code"),
    ("fine", " ", "e1", "name"), ("fine", "基金", "", "holder_ref"),
])
async def test_a_fund_needs_a_plain_code_a_name_and_a_holder(database, code, name, ref, field):
    with pytest.raises(FundError) as refused:
        await run(database, lambda uow: funds.create_fund(uow, code=code, name=name, holder=FundHolder.ENTERPRISE,
                                                          holder_ref=ref, by="boss", now=NOW))
    assert refused.value.field == field


async def test_donations_and_spending_add_up_to_the_fen(database):
    await open_fund(database)
    for amount in ("0.10", "0.20", "1000000.05"):
        await donate(database, amount)
    spent = await spend(database, "0.30", ref="YM20261129000001", note="学费")
    assert (spent.kind, spent.amount, spent.ref, spent.note, spent.by) == (
        FundEntryKind.SPENDING, Decimal("0.30"), "YM20261129000001", "学费", "wang")
    shown = await statement(database)
    assert shown.balance == Decimal("1000000.05") and str(shown.balance) == "1000000.05"
    assert [(e.kind.value, str(e.amount)) for e in shown.entries] == [
        ("spending", "0.30"), ("donation", "1000000.05"), ("donation", "0.20"), ("donation", "0.10")]
    assert [e.id for e in (await statement(database, limit=2)).entries] == [e.id for e in shown.entries[:2]]


async def test_spending_never_takes_the_balance_below_zero(database):
    await open_fund(database)
    await donate(database, "100")
    with pytest.raises(FundError, match="balance is 100.00") as refused:
        await spend(database, "100.01")
    assert refused.value.field == "amount"
    await spend(database, "100")
    assert (await statement(database)).balance == Decimal("0.00")


async def test_two_spendings_at_once_cannot_both_pass_the_balance(database):
    await open_fund(database)
    await donate(database, "100")
    results = await asyncio.gather(spend(database, "60"), spend(database, "60"), return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 1, results
    assert all(isinstance(r, FundError) for r in results if isinstance(r, BaseException))
    assert (await statement(database)).balance == Decimal("40.00")


@pytest.mark.parametrize(
    ("amount", "ref", "field"),
    [("0", "x", "amount"), ("-5", "x", "amount"), ("1.234", "x", "amount"), ("NaN", "x", "amount"),
     ("10000000000", "x", "amount"), ("5", " ", "ref"), ("5", "correction:1", "ref")],
)
async def test_bad_entries_are_refused_naming_the_field(database, amount, ref, field):
    await open_fund(database)
    for step in (donate, spend):
        with pytest.raises(FundError) as refused:
            await step(database, amount, ref=ref)
        assert refused.value.field == field
    assert (await statement(database)).entries == []


@pytest.mark.parametrize("ref", ["HB-2026-000123", "YM20261129000002", "warm"])
async def test_spending_names_a_real_project_or_application(database, ref):
    await open_fund(database)
    await donate(database, "100")
    with pytest.raises(FundError, match=f"no charity project or application {ref}") as refused:
        await spend(database, "5", ref=ref)
    assert refused.value.field == "ref"
    assert (await statement(database)).balance == Decimal("100.00")


async def test_an_unknown_fund_takes_no_money(database):
    with pytest.raises(NotFound):
        await donate(database, "5", code="nowhere")
    with pytest.raises(NotFound):
        await spend(database, "5", code="nowhere")


async def test_a_mistake_is_corrected_once_by_the_opposite_entry(database):
    await open_fund(database)
    wrong = await donate(database, "500")
    await donate(database, "50")
    spent = await spend(database, "20")

    def correct(entry_id, reason="录入错误", when=NOW):
        return run(database, lambda uow: funds.correct(uow, "minghu-market", entry_id, reason=reason, by="boss",
                                                       now=when))

    fix = await correct(wrong.id)
    assert (fix.kind, fix.amount, fix.ref, fix.note, fix.by) == (
        FundEntryKind.CORRECTION, Decimal("-500.00"), f"correction:{wrong.id}", "录入错误", "boss")
    back = await correct(spent.id, when=NOW + timedelta(minutes=1))
    assert (back.kind, back.amount, back.ref) == (FundEntryKind.CORRECTION, Decimal("20.00"), f"correction:{spent.id}")
    shown = await statement(database)
    assert shown.balance == Decimal("50.00")
    # The corrections count as neither money given nor money spent.
    assert shown.totals == {FundEntryKind.DONATION: Decimal("550.00"), FundEntryKind.SPENDING: Decimal("20.00"),
                            FundEntryKind.CORRECTION: Decimal("-480.00")}
    for entry_id, message in ((wrong.id, "corrected already"), (fix.id, "not corrected"), (9999, "no entry"),
                              (wrong.id, "says why")):
        with pytest.raises(FundError, match=message) as refused:
            await correct(entry_id, reason=" " if message == "says why" else "again")
        assert refused.value.field == ("reason" if message == "says why" else "entry")


async def test_a_donation_already_spent_cannot_be_corrected_below_zero(database):
    await open_fund(database)
    gift = await donate(database, "80")
    await spend(database, "70")
    with pytest.raises(FundError, match="balance is 10.00") as refused:
        await run(database, lambda uow: funds.correct(uow, "minghu-market", gift.id, reason="x", by="boss", now=NOW))
    assert refused.value.field == "entry"


async def test_an_entry_of_another_fund_is_not_this_funds_to_correct(database):
    await open_fund(database)
    await open_fund(database, "other")
    theirs = await donate(database, "10", code="other")
    with pytest.raises(FundError, match="no entry"):
        await run(database, lambda uow: funds.correct(uow, "minghu-market", theirs.id, reason="x", by="boss",
                                                      now=NOW))


async def test_entries_cannot_be_rewritten(database):
    await open_fund(database)
    await donate(database, "10")
    with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
        async with database.engine.begin() as connection:
            await connection.execute(text("UPDATE fund_entries SET amount = 1000"))
    assert (await statement(database)).balance == Decimal("10.00")
