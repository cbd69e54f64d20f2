"""Ending a browser's identity on the server (signing out of the web chat)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import ChannelIdentityRow, OutboxRow


class SqlWebIdentityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def retire(self, channel: str, external_id: str, *, replacement: str) -> bool:
        # The identity and its transcript move to an id no cookie carries: the resident keeps
        # everything, and the old id, wherever its cookie was copied, leads to nothing.
        moved = await self._session.execute(
            update(ChannelIdentityRow).where(ChannelIdentityRow.channel == channel,
                                             ChannelIdentityRow.external_id == external_id)
            .values(external_id=replacement)
        )
        await self._session.execute(
            update(OutboxRow).where(OutboxRow.channel == channel, OutboxRow.address == external_id)
            .values(address=replacement)
        )
        return bool(moved.rowcount)
