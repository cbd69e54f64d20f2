"""Tables: the WeChat Official Account's access token, shared by every process of a deployment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Base


class WeChatTokenRow(Base):
    """The account's current access token: WeChat keeps one valid at a time (a new one ends the old
    within minutes), so every process uses this one rather than fetching its own."""

    __tablename__ = "wechat_tokens"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(512))
    expires_at: Mapped[datetime]
    refreshed_at: Mapped[datetime]
