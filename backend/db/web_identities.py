"""Ending a browser's identity on the server (signing out of the web chat)."""

from __future__ import annotations

import hashlib

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import ChannelIdentityRow, OutboxRow
from backend.db.sql import rows_changed

RETIRED = "signed-out:"


def _retired_id(external_id: str) -> str:
    # A hash, so that the stored id is not the cookie's id, yet the cookie's id finds it.
    return RETIRED + hashlib.sha256(external_id.encode()).hexdigest()


class SqlWebIdentityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def retire(self, channel: str, external_id: str) -> bool:
        # The identity and its transcript move to an id no cookie carries (it has a ":"): the
        # resident keeps everything, and the old id, wherever its cookie was copied, leads to nothing.
        retired = _retired_id(external_id)
        moved = await rows_changed(
            self._session,
            update(ChannelIdentityRow).where(ChannelIdentityRow.channel == channel,
                                             ChannelIdentityRow.external_id == external_id)
            .values(external_id=retired)
        )
        await self._session.execute(
            update(OutboxRow).where(OutboxRow.channel == channel, OutboxRow.address == external_id)
            .values(address=retired)
        )
        return bool(moved)

    async def retired(self, channel: str, external_id: str) -> bool:
        found = await self._session.scalar(
            select(ChannelIdentityRow.id).where(ChannelIdentityRow.channel == channel,
                                                ChannelIdentityRow.external_id == _retired_id(external_id))
        )
        return found is not None
