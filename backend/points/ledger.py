"""The credit-points ledger (信用+志愿): what earns points, what they buy, and that they add up.

Every change is a transaction of entries that sum to zero: points a volunteer or donor earns
come out of the community fund's issuer account, points redeemed at a merchant move from the
holder to the merchant. Entries are never changed; a correction is a reversal transaction.
No holder's balance goes below zero. How many points a task or a donation earns is policy,
dated in the pack (``points_per_*``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from uuid import uuid4

from backend.points.ports import Account, Entry, Holder, LedgerUnitOfWork
from backend.policy.pack import Pack

FUND = "fund"
# The most one transaction may issue: a ledger entry is a 32-bit integer on every database, and no
# gift or task is worth a tenth of that in points.
MAX_POINTS = 200_000_000
# A task credit's note: the hours it was credited for ("hours:1.50").
TASK_HOURS_NOTE = "hours:"


class Donation(StrEnum):
    MONEY = "money"  # CNY
    GOODS = "goods"  # assessed value, CNY
    TIME = "time"  # hours


_RATE = {
    Donation.MONEY: "points_per_donated_yuan",
    Donation.GOODS: "points_per_goods_yuan",
    Donation.TIME: "points_per_donated_hour",
}


class LedgerError(ValueError):
    """The ledger refuses: the message says why and ``field`` names the input at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


class Ledger:
    def __init__(self, pack: Pack, *, new_txn: Callable[[], str] = lambda: uuid4().hex,
                 code_ttl: timedelta = timedelta(minutes=10)) -> None:
        self._pack = pack
        self._new_txn = new_txn
        self._code_ttl = code_ttl

    @property
    def code_ttl(self) -> timedelta:
        """How long a redemption code stays good."""
        return self._code_ttl

    async def credit_task(self, uow: LedgerUnitOfWork, volunteer: str, name: str, *, hours: Decimal, task: str, by: str,
                          now: datetime) -> tuple[str, int]:
        """Points for a completed service task; (transaction, points)."""
        if hours <= 0:
            raise LedgerError("a task takes some time", "hours")
        points = self._points(hours, "points_per_task_hour", now)
        holder = await uow.points.account(Holder.VOLUNTEER, volunteer, name=name, at=now)
        # The hours go with the points: /points counts a volunteer's hours from these entries.
        note = f"{TASK_HOURS_NOTE}{hours}"
        return await self._issue(uow, holder, points, cause="task", ref=task, note=note, by=by, now=now), points

    async def record_donation(self, uow: LedgerUnitOfWork, donor: Holder, ref: str, name: str, *, kind: Donation,
                              amount: Decimal, by: str, now: datetime, note: str = "") -> tuple[str, int]:
        """A donation recorded by a caseworker; (transaction, points)."""
        if donor is Holder.ISSUER:
            raise LedgerError("the fund does not donate to itself", "donor")
        if amount <= 0:
            raise LedgerError("a donation has an amount above zero", "amount")
        points = self._points(amount, _RATE[kind], now)
        holder = await uow.points.account(donor, ref, name=name, at=now)
        txn = await self._issue(uow, holder, points, cause=f"donation_{kind.value}", ref=f"{kind.value}:{amount}",
                                note=note, by=by, now=now)
        return txn, points

    async def reverse(self, uow: LedgerUnitOfWork, txn: str, *, reason: str, by: str, now: datetime) -> str:
        """Undo a transaction with its mirror image; refused if it was reversed already or would
        take a holder below zero (they spent the points meanwhile)."""
        original = await uow.points.transaction(txn)
        if not original:
            raise LedgerError(f"no transaction {txn}", "transaction")
        if original[0].cause == "reversal":
            raise LedgerError("a reversal is not reversed; record the correction instead", "transaction")
        for entry in original:
            await uow.points.lock(entry.account_id)
        if await uow.points.reversed(txn):
            raise LedgerError(f"transaction {txn} was reversed already", "transaction")
        for entry in original:
            if entry.amount > 0 and not await self._is_issuer(uow, entry.account_id):
                if await uow.points.balance(entry.account_id) < entry.amount:
                    raise LedgerError("the points were spent already: the reversal would go below zero",
                                      "transaction")
        reversal = self._new_txn()
        await uow.points.post(reversal, [
            Entry(reversal, e.account_id, -e.amount, "reversal", txn, reason, by, now) for e in original
        ])
        return reversal

    async def balance(self, uow: LedgerUnitOfWork, holder: Holder, ref: str) -> tuple[Account | None, int]:
        account = await uow.points.find(holder, ref)
        return account, (await uow.points.balance(account.id) if account else 0)

    async def issue_code(self, uow: LedgerUnitOfWork, holder: Holder, ref: str, *, points: int, now: datetime) -> str:
        """A one-time code worth ``points`` for the holder to show a merchant (shown once)."""
        account, balance = await self.balance(uow, holder, ref)
        if points <= 0:
            raise LedgerError("a code is worth some points", "points")
        if account is None or balance < points:
            raise LedgerError(f"the balance is {balance} points", "points")
        code = f"{secrets.randbelow(10**8):08d}"
        await uow.points.add_code(code_hash(code), account_id=account.id, points=points,
                                  expires_at=now + self._code_ttl)
        return code

    async def redeem(self, uow: LedgerUnitOfWork, merchant: str, name: str, code: str, *, by: str,
                     now: datetime) -> tuple[str, int]:
        """A merchant confirms a code: the points move from the holder to the merchant, once."""
        hashed = code_hash(code)
        used = await uow.points.use_code(hashed, at=now)
        if used is None:
            raise LedgerError("unknown, used or expired code", "code")
        await uow.points.lock(used.account_id)
        if await uow.points.balance(used.account_id) < used.points:
            raise LedgerError("the holder's balance no longer covers the code", "code")
        shop = await uow.points.account(Holder.MERCHANT, merchant, name=name, at=now)
        txn = self._new_txn()
        await uow.points.post(txn, [
            Entry(txn, used.account_id, -used.points, "redemption", merchant, "", by, now),
            Entry(txn, shop.id, used.points, "redemption", merchant, "", by, now),
        ])
        await uow.points.set_code_transaction(hashed, txn)
        return txn, used.points

    # ------------------------------------------------------------------ internals

    def _points(self, quantity: Decimal, parameter: str, now: datetime) -> int:
        rate = self._pack.parameter(parameter, now.date()).value
        return int((Decimal(quantity) * rate).to_integral_value(rounding=ROUND_DOWN))

    async def _issue(self, uow: LedgerUnitOfWork, holder: Account, points: int, *, cause: str, ref: str, note: str,
                     by: str, now: datetime) -> str:
        if points <= 0:
            raise LedgerError("too small to earn a point", "amount")
        if points > MAX_POINTS:
            raise LedgerError(f"worth more than {MAX_POINTS:,} points: record it in parts", "amount")
        fund = await uow.points.account(Holder.ISSUER, FUND, name="community charity fund", at=now)
        txn = self._new_txn()
        await uow.points.post(txn, [
            Entry(txn, fund.id, -points, cause, ref, note, by, now),
            Entry(txn, holder.id, points, cause, ref, note, by, now),
        ])
        return txn

    async def _is_issuer(self, uow: LedgerUnitOfWork, account_id: int) -> bool:
        fund = await uow.points.find(Holder.ISSUER, FUND)
        return fund is not None and fund.id == account_id
