"""SQLAlchemy implementation of the WeChat access token store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import WeChatTokenRow
from backend.db.sql import advisory_lock
from backend.store.wechat_tokens import AccessToken


class SqlAccessTokenStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock(self, app_id: str) -> None:
        await advisory_lock(self._session, f"wechat-token:{app_id}")

    async def get(self, app_id: str) -> AccessToken | None:
        row = await self._session.get(WeChatTokenRow, app_id, populate_existing=True)
        return AccessToken(row.token, row.expires_at) if row else None

    async def put(self, app_id: str, token: AccessToken, *, at: datetime) -> None:
        row = await self._session.get(WeChatTokenRow, app_id)
        if row is None:
            self._session.add(WeChatTokenRow(app_id=app_id, token=token.token, expires_at=token.expires_at,
                                             refreshed_at=at))
        else:
            row.token, row.expires_at, row.refreshed_at = token.token, token.expires_at, at
        await self._session.flush()
