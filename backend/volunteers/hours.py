"""The hours of service a volunteer's points were credited for: what /points and the home show.

Counted from the same ledger entries as the points, so the two always agree, whether a task was
checked in and out in the chat or credited by a caseworker through the API: each task credit
notes its hours (``hours:1.50``), and a reversed credit counts no hours. Credits written before
the note existed take their task's hours.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from backend.points.ledger import TASK_HOURS_NOTE
from backend.points.ports import Entry, Holder
from backend.volunteers.ports import VolunteersUnitOfWork

NOTE_PREFIX = TASK_HOURS_NOTE
# Enough for a lifetime of tasks: the account's entries are read in one go.
_MAX_ENTRIES = 100_000


async def hours_credited(uow: VolunteersUnitOfWork, volunteer_id: int) -> Decimal:
    account = await uow.points.find(Holder.VOLUNTEER, str(volunteer_id))
    if account is None:
        return Decimal("0.00")
    entries = await uow.points.entries(account.id, limit=_MAX_ENTRIES)
    reversed_txns = {e.ref for e in entries if e.cause == "reversal"}
    total = Decimal("0.00")
    for entry in entries:
        if entry.cause == "task" and entry.amount > 0 and entry.txn not in reversed_txns:
            total += await _hours(uow, entry)
    return total.quantize(Decimal("0.01"))


async def _hours(uow: VolunteersUnitOfWork, entry: Entry) -> Decimal:
    if entry.note.startswith(NOTE_PREFIX):
        try:
            return Decimal(entry.note[len(NOTE_PREFIX):])
        except InvalidOperation:
            return Decimal(0)
    task = await uow.tasks.get(int(entry.ref)) if entry.ref.isdigit() else None
    if task is None:
        return Decimal(0)
    return task.served_hours if task.served_hours is not None else task.hours
