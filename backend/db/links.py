"""One-time link codes, kept in existing tables rather than a table of their own.

A live code is a channel identity on the pseudo-channel ``link-code``: its external id is the
code's keyed hash and it leads to the resident who asked for it, which is exactly what a code
is for a few minutes. The unique (channel, external id) index finds it and keeps two live
codes from sharing a hash; the row goes when the code is taken, and with its resident.
Codes that led nowhere are counted in ``throttles`` (see ``bot/linking.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import ChannelIdentityRow
from backend.db.sql import rows_changed

LINK_CHANNEL = "link-code"


class SqlLinkCodeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_code(self, code_hash: str, resident_id: str, *, at: datetime) -> bool:
        taken = await self._session.scalar(
            select(ChannelIdentityRow.id).where(
                ChannelIdentityRow.channel == LINK_CHANNEL, ChannelIdentityRow.external_id == code_hash
            )
        )
        if taken is not None:
            return False
        await self._session.execute(
            insert(ChannelIdentityRow).values(
                resident_id=resident_id, channel=LINK_CHANNEL, external_id=code_hash, created_at=at
            )
        )
        return True

    async def take_code(self, code_hash: str) -> tuple[str, datetime] | None:
        found = (
            await self._session.execute(
                select(ChannelIdentityRow.resident_id, ChannelIdentityRow.created_at).where(
                    ChannelIdentityRow.channel == LINK_CHANNEL, ChannelIdentityRow.external_id == code_hash
                )
            )
        ).first()
        if found is None:
            return None
        removed = await rows_changed(
            self._session,
            delete(ChannelIdentityRow).where(
                ChannelIdentityRow.channel == LINK_CHANNEL, ChannelIdentityRow.external_id == code_hash
            )
        )
        # Two residents sending the same code at once: only the one whose DELETE removed it has it.
        if removed != 1:
            return None
        return found.resident_id, found.created_at

    async def forget_codes(self, *, resident_id: str | None = None, issued_before: datetime | None = None) -> None:
        statement = delete(ChannelIdentityRow).where(ChannelIdentityRow.channel == LINK_CHANNEL)
        if resident_id is not None:
            statement = statement.where(ChannelIdentityRow.resident_id == resident_id)
        if issued_before is not None:
            statement = statement.where(ChannelIdentityRow.created_at < issued_before)
        await self._session.execute(statement)
