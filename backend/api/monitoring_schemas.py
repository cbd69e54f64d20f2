"""Request and response bodies of the monitoring endpoints: alerts, and events pushed by departments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel

from backend.bounds import INTEGER_MAX, Line, Paragraph
from backend.monitoring.records import AlertAction, AlertStatus


class AlertFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    office: Line | None = Field(None, max_length=64,
                                description="Administrators: one office's alerts (office staff see their own)")
    status: AlertStatus | None = None
    overdue: bool | None = Field(None, description="Open alerts past their deadline (true), or the others (false)")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=INTEGER_MAX)


class AlertActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: AlertAction
    note: Paragraph = Field("", max_length=2000, description="act: what was done (required)")
    reason: Paragraph = Field("", max_length=2000, description="dismiss: why nothing is to be done (required)")


class AlertOut(BaseModel):
    id: int
    household_id: int
    household_code: str
    office: str
    trigger: str = Field(description="The trigger rule of the pack that raised it")
    reason: dict[str, Any] = Field(description="rule, test and the parameters the reason shows")
    reason_text: dict[str, str] = Field(description="The reason, per locale")
    status: AlertStatus
    deadline_at: datetime
    overdue: bool
    escalated_at: datetime | None
    created_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    closed_by: str | None
    closed_at: datetime | None
    dismiss_reason: str | None
    allowed_actions: list[AlertAction]
    outreach: str | None = Field(None, description="sent: told in the chat; visit: listed for a home visit")
    visit_on: date | None = Field(None, description="The day a home visit is scheduled for")


class AlertEventOut(BaseModel):
    at: datetime
    actor: str
    action: str
    details: dict[str, Any]


class AlertDetail(AlertOut):
    trace: dict[str, Any] = Field(description="before and after (layer, level, types), the events applied, "
                                  "and the assessment's trace")
    history: list[AlertEventOut] = Field(description="What staff did with the alert, oldest first")


class AlertList(BaseModel):
    items: list[AlertOut]
    total: int
    limit: int
    offset: int


class FeedPush(RootModel[list[dict[str, Any]]]):
    """The rows of a department's file as a JSON list: each an object of field names and text or numbers."""


class FeedRowError(BaseModel):
    index: int = Field(description="The row's position in the list, from 0")
    reason: str
    field: str | None = None


class FeedPushOut(BaseModel):
    read: int
    inserted: int
    duplicates: int = Field(description="Rows received before (the same record of the same source)")
    errors: list[FeedRowError]
