"""A volunteer's own commands in the chat: ``/points``, ``/code N``, ``/pause``, ``/resume``.

They concern the resident as a volunteer, not the flow they are in, so they are answered on the
side: the question the resident was at stays live.
"""

from __future__ import annotations

from datetime import datetime

from backend.points.ledger import Ledger, LedgerError
from backend.points.ports import Holder
from backend.ports import UnitOfWork
from backend.volunteers.hours import hours_credited
from flows import events as ev
from flows.intents import Reply

COMMANDS = frozenset({"points", "code", "pause", "resume"})


async def answer(uow: UnitOfWork, resident_id: str, command: ev.Command, ledger: Ledger, *, now: datetime) -> Reply:
    """The reply to one of ``COMMANDS``, after doing what it asks in the caller's unit of work."""
    name = command.name.lower()
    volunteer = await uow.volunteers.by_resident(resident_id)
    if volunteer is None:
        return Reply("volunteer.not_registered")
    if name in ("pause", "resume"):
        await uow.volunteers.set_paused(volunteer.id, name == "pause")
        return Reply(f"volunteer.{name}d")
    account, balance = await ledger.balance(uow, Holder.VOLUNTEER, str(volunteer.id))
    if name == "points":
        entries = await uow.points.entries(account.id, limit=5) if account else []
        recent = [{"points": e.amount, "cause": e.cause, "at": e.at} for e in entries]
        hours = await hours_credited(uow, volunteer.id)  # from the same entries as the points
        return Reply("points.balance", {"balance": balance, "hours": str(hours), "entries": recent})
    arg = command.arg.strip()
    if not arg.isdigit() or int(arg) <= 0:
        return Reply("points.code_usage", {"balance": balance})
    try:
        code = await ledger.issue_code(uow, Holder.VOLUNTEER, str(volunteer.id), points=int(arg), now=now)
    except LedgerError:
        return Reply("points.code_refused", {"balance": balance, "points": int(arg)})
    minutes = int(ledger.code_ttl.total_seconds() // 60)
    return Reply("points.code", {"code": code, "points": int(arg), "minutes": minutes})
