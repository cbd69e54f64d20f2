"""Named funds (冠名基金): money an enterprise or a merchant gives, and what it is spent on.

A fund is money in CNY (``Decimal`` to the fen), kept apart from the credit points: donations
go in, spending on a project or a household goes out, and the balance never goes below zero
(spending is checked under a lock on the fund). Spending names what it paid for: a charity
project or an application that exists. Entries are never changed: a mistake is corrected by an
entry of its own kind (``correction``) that cancels the wrong one, names it and says why; a
correction is neither a donation nor a spending, so neither total counts it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from backend.points.fund_ports import Fund, FundEntry, FundEntryKind, FundHolder, FundsUnitOfWork
from backend.store.errors import NotFound

CENT = Decimal("0.01")
# The column holds 12 digits, 2 of them after the point.
LARGEST = Decimal("9999999999.99")
CORRECTION = "correction:"
# Short and plain: a code goes in URLs, and the audit log names the fund "fund:<code>" in 64 characters.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,47}$"

# Whether a spending's reference names something real: a charity project or an application.
KnownReference = Callable[[str], Awaitable[bool]]


class FundError(ValueError):
    """The fund refuses: the message says why and ``field`` names the input at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Statement:
    fund: Fund
    balance: Decimal
    totals: dict[FundEntryKind, Decimal]  # per kind; corrections signed (their net effect)
    entries: list[FundEntry]  # newest first


async def create_fund(uow: FundsUnitOfWork, *, code: str, name: str, holder: FundHolder, holder_ref: str, by: str,
                      now: datetime) -> Fund:
    """Open a fund; raises DuplicateFund when the code is taken."""
    if not re.fullmatch(CODE_PATTERN, code):
        raise FundError("2–48 letters, digits, '_', '.' or '-', starting with a letter or digit", "code")
    if not name.strip():
        raise FundError("a fund has a name", "name")
    if not holder_ref.strip():
        raise FundError("say which enterprise or merchant holds the fund", "holder_ref")
    return await uow.funds.create(code=code, name=name, holder=holder, holder_ref=holder_ref, created_by=by, at=now)


async def donate(uow: FundsUnitOfWork, code: str, *, amount: Decimal, ref: str, by: str, now: datetime,
                 note: str = "") -> FundEntry:
    """Money into the fund; ``ref`` says from whom (a donor, a receipt number)."""
    fund = await _fund(uow, code)
    _check(amount, ref)
    return await uow.funds.add_entry(fund.id, kind=FundEntryKind.DONATION, amount=amount, ref=ref, note=note, by=by,
                                     at=now)


async def spend(uow: FundsUnitOfWork, code: str, *, amount: Decimal, ref: str, by: str, now: datetime,
                known: KnownReference, note: str = "") -> FundEntry:
    """Money out of the fund on ``ref``, refused beyond the balance.

    Args:
        ref: a charity project's id or an application number; ``known`` says whether it exists.
    """
    fund = await _fund(uow, code)
    _check(amount, ref)
    if not await known(ref.strip()):
        raise FundError(f"no charity project or application {ref.strip()}", "ref")
    return await _take(uow, fund, amount, ref=ref.strip(), note=note, by=by, now=now)


async def correct(uow: FundsUnitOfWork, code: str, entry_id: int, *, reason: str, by: str, now: datetime) -> FundEntry:
    """Cancel an entry with its opposite, once; refused if it would take the balance below zero."""
    fund = await _fund(uow, code)
    if not reason.strip():
        raise FundError("a correction says why", "reason")
    await uow.funds.lock(fund.id)
    wrong = await uow.funds.entry(fund.id, entry_id)
    if wrong is None:
        raise FundError(f"fund {code} has no entry {entry_id}", "entry")
    if wrong.kind is FundEntryKind.CORRECTION:
        raise FundError("a correction is not corrected; record the right entry instead", "entry")
    ref = f"{CORRECTION}{entry_id}"
    if await uow.funds.with_ref(fund.id, ref) is not None:
        raise FundError(f"entry {entry_id} was corrected already", "entry")
    if wrong.kind is FundEntryKind.DONATION:
        await _covered(uow, fund, wrong.amount, field="entry")
    return await uow.funds.add_entry(fund.id, kind=FundEntryKind.CORRECTION, amount=-wrong.signed, ref=ref,
                                     note=reason, by=by, at=now)


async def statement(uow: FundsUnitOfWork, code: str, *, limit: int = 20) -> Statement:
    """The fund, its balance and its newest entries."""
    fund = await _fund(uow, code)
    return Statement(fund, await uow.funds.balance(fund.id), await uow.funds.totals(fund.id),
                     await uow.funds.entries(fund.id, limit=limit))


# ---------------------------------------------------------------------- internals


async def _fund(uow: FundsUnitOfWork, code: str) -> Fund:
    fund = await uow.funds.get(code)
    if fund is None:
        raise NotFound(f"no fund {code}")
    return fund


def _check(amount: Decimal, ref: str) -> None:
    if not amount.is_finite() or amount <= 0:
        raise FundError("an amount above zero", "amount")
    if amount != amount.quantize(CENT) or amount > LARGEST:
        raise FundError(f"an amount in yuan to the fen, at most {LARGEST}", "amount")
    if not ref.strip():
        raise FundError("say from whom or on what", "ref")
    if ref.startswith(CORRECTION):
        raise FundError(f"references starting {CORRECTION!r} mark corrections", "ref")


async def _covered(uow: FundsUnitOfWork, fund: Fund, amount: Decimal, *, field: str) -> None:
    # Checked (and then written) under the fund's lock: two spendings at once cannot both pass.
    await uow.funds.lock(fund.id)
    balance = await uow.funds.balance(fund.id)
    if amount > balance:
        raise FundError(f"the balance is {balance} yuan", field)


async def _take(uow: FundsUnitOfWork, fund: Fund, amount: Decimal, *, ref: str, note: str, by: str,
                now: datetime) -> FundEntry:
    await _covered(uow, fund, amount, field="amount")
    return await uow.funds.add_entry(fund.id, kind=FundEntryKind.SPENDING, amount=amount, ref=ref, note=note, by=by,
                                     at=now)
