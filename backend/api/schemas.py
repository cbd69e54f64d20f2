"""Request and response bodies of the API; the OpenAPI document is built from these models."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from backend.application import ApplicationV1
from backend.bounds import INTEGER_MAX, Count, Day, Line, Moment, Paragraph
from backend.cases.lifecycle import CaseAction, CaseStatus
from backend.points.funds import CODE_PATTERN
from backend.policy.household import Household
from backend.volunteers.ports import SKILLS


class _Body(BaseModel):
    # Bodies carry applications and households (ID numbers, names, health): errors never echo a value.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending field, e.g. application.members.0.age")
    message: str


class Error(BaseModel):
    error: str = Field(description="A stable code: bad_request, bad_json, too_large, invalid, unauthorized, "
                       "forbidden, not_found, illegal_transition, refused, duplicate, idempotency_mismatch, stale, "
                       "replayed")
    message: str
    fields: list[FieldError] = []
    status: str | None = Field(None, description="The case's or alert's current status (illegal_transition)")
    number: str | None = Field(None, description="The open application of the household (duplicate)")


class ResidentRef(_Body):
    """The resident: by Yimen's id (the bot, which shares the database), or by a channel identity."""

    id: Line | None = Field(None, max_length=64, description="Yimen's resident id")
    channel: Line | None = Field(None, min_length=1, max_length=32, examples=["telegram"])
    external_id: Line | None = Field(None, min_length=1, max_length=255,
                                     description="The resident's id on that channel")

    @model_validator(mode="after")
    def _one_way(self) -> ResidentRef:
        if (self.id is None) == (self.channel is None or self.external_id is None):
            raise ValueError("give either id, or channel and external_id")
        return self


class CreateApplication(_Body):
    resident: ResidentRef
    application: ApplicationV1
    document_ids: list[Line] = Field(default=[], max_length=100,
                                     description="Documents the resident uploaded before submitting")


class ApplicationCreated(BaseModel):
    number: str
    status: CaseStatus
    office: str
    submitted_at: datetime
    review_by: date = Field(description="The date by which the office reviews the application")


class CaseSummary(BaseModel):
    number: str
    status: CaseStatus
    office: str
    district: str
    layer: str | None
    resilience_level: int | None
    emergency: bool
    overdue: bool
    queues: list[str]
    station: str | None
    deadline_at: datetime | None
    assigned_to: str | None
    submitted_at: datetime
    updated_at: datetime


class CaseDetail(CaseSummary):
    proposed_by: str | None
    decision: dict[str, Any] | None
    allowed_actions: list[CaseAction]
    application: dict[str, Any] = Field(description="The application as submitted (ID numbers masked unless the "
                                        "role verifies identities)")
    assessment: dict[str, Any] | None


class CaseList(BaseModel):
    items: list[CaseSummary]
    total: int
    limit: int
    offset: int


class CaseFilter(_Body):
    office: Line | None = Field(None, max_length=64)
    layer: Literal["tekun", "dibao", "dibao_marginal", "rigid_expense", "watch", "none"] | None = None
    level: int | None = Field(None, ge=1, le=3, description="Resilience level, 1 = weakest")
    status: CaseStatus | None = None
    emergency: bool | None = None
    overdue: bool | None = None
    assigned_to: Line | None = Field(None, max_length=64)
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=INTEGER_MAX)


class ActionIn(_Body):
    action: CaseAction
    assignee: Line | None = Field(None, max_length=64, description="assign: the caseworker's username")
    question: Paragraph | None = Field(None, max_length=1000, description="request_info: what the resident should send")
    visit_at: Moment | None = Field(None, description="schedule_visit: when")
    package: list[Line] | None = Field(None, max_length=50,
                                       description="propose: assistance codes (default: the assessment's)")
    amount: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2, allow_inf_nan=False,
                                   description="propose: CNY per month (default: the benefit estimate)")
    note: Paragraph = Field("", max_length=2000,
                            description="the internal reason, for staff only (required to return a proposal)")
    reason_codes: list[Line] = Field([], max_length=20, description="reject: codes of the pack's standard reasons "
                                     "(decisions.yaml), at least one; the resident reads them in their language")
    resident_text: Paragraph = Field("", max_length=1000, description="approve, reject, return: an optional "
                                     "message for the resident, written in their language")


class StatusEventOut(BaseModel):
    status: CaseStatus
    action: str | None
    actor: str
    note: str = Field(description="What the actor wrote; a note the system wrote is a code with parameters, "
                                  "`system:<code>?<query>` (e.g. `system:assessed?layer=dibao&level=1`)")
    at: datetime


class NoteIn(_Body):
    body: Paragraph = Field(min_length=1, max_length=4000)


class NoteOut(BaseModel):
    id: int
    author: str
    body: str
    at: datetime


class AssessIn(_Body):
    household: Household
    date: Day | None = Field(None, description="Whose parameters apply (default: today in the region)")
    region: Line | None = Field(None, max_length=64, description="The policy pack (default: the server's)")
    lang: Literal["zh_CN", "en"] | None = Field(None, description="Also explain the result in this language")


class AssessOut(BaseModel):
    assessment: dict[str, Any]
    explanation: list[str] | None = None


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    office: str | None


class BroadcastText(_Body):
    zh_CN: Paragraph = Field(min_length=1, max_length=1000)
    en: Paragraph = Field(min_length=1, max_length=1000)


class BroadcastIn(_Body):
    """Who receives it: the residents of the cases these filters select (a supervisor: their office)."""

    office: Line | None = Field(None, max_length=64)
    layer: Literal["tekun", "dibao", "dibao_marginal", "rigid_expense", "watch", "none"] | None = None
    level: Count | None = Field(None, ge=1, le=3)
    status: CaseStatus | None = None
    emergency: bool | None = None
    message: BroadcastText = Field(description="The message in each language; each resident gets theirs")


class BroadcastOut(BaseModel):
    residents: int = Field(description="How many residents it was queued for")


class PointHolderIn(_Body):
    holder: Literal["volunteer", "resident", "enterprise", "merchant"]
    ref: Line = Field(min_length=1, max_length=64, description="The holder's id: a volunteer's, a company's …")
    name: Line = Field(min_length=1, max_length=128)


class DonationIn(_Body):
    donor: PointHolderIn
    kind: Literal["money", "goods", "time"]
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2, allow_inf_nan=False,
                            description="CNY, or hours for time")
    note: Paragraph = Field("", max_length=500)


class TaskCreditIn(_Body):
    volunteer_ref: Line = Field(min_length=1, max_length=64)
    volunteer_name: Line = Field(min_length=1, max_length=128)
    hours: Decimal = Field(gt=0, le=24, max_digits=5, decimal_places=2, allow_inf_nan=False)
    task: Line = Field(min_length=1, max_length=128, description="The service task's reference")


class ReversalIn(_Body):
    transaction: Line = Field(min_length=1, max_length=64)
    reason: Paragraph = Field(min_length=1, max_length=500)


class CodeIn(_Body):
    holder: Literal["volunteer", "resident", "enterprise"]
    ref: Line = Field(min_length=1, max_length=64)
    points: Count = Field(gt=0, le=100_000)


class CodeOut(BaseModel):
    code: str = Field(description="Shown once; valid for 10 minutes")


class RedemptionIn(_Body):
    code: str = Field(min_length=8, max_length=8, pattern=r"^\d{8}$")


class PostedOut(BaseModel):
    transaction: str
    points: int


class PointEntryOut(BaseModel):
    transaction: str
    amount: int
    cause: str
    ref: str
    note: str
    at: datetime


class PointAccountOut(BaseModel):
    holder: str
    ref: str
    name: str
    balance: int
    entries: list[PointEntryOut]


class ProjectOut(BaseModel):
    id: str
    name: dict[str, str]
    category: str
    sponsor: dict[str, str]
    contact: str
    capacity: int
    taken: int


class ReferralOut(BaseModel):
    application_number: str | None
    accepted_at: datetime | None


class TaskIn(_Body):
    """A service task for a volunteer: what, where, when."""

    skill: Literal[SKILLS]  # type: ignore[valid-type]  # the volunteer skills, one list
    office: Line = Field(min_length=1, max_length=64)
    given_name: Line = Field(min_length=1, max_length=60, description="What the volunteer calls the person helped")
    address: Paragraph = Field(min_length=1, max_length=500)
    details: Paragraph = Field(default="", max_length=2000, description="What to do")
    starts_at: Moment
    ends_at: Moment
    duration_minutes: Count = Field(gt=0, le=720)
    application_number: Line | None = Field(default=None, max_length=40)


class ScheduleIn(_Body):
    """The place and time of a task a resident asked for."""

    address: Paragraph = Field(min_length=1, max_length=500)
    details: Paragraph = Field(default="", max_length=2000)
    starts_at: Moment
    ends_at: Moment


class TaskPingOut(BaseModel):
    """A volunteer asked to take a task: when the ping goes out (within their stated hours) and their answer."""

    volunteer_id: int
    volunteer_name: str
    round: int
    goes_out_at: datetime
    answer: str | None  # accepted, declined, expired, taken; None while waiting


class TaskOut(BaseModel):
    id: int
    status: str
    skill: str
    office: str
    given_name: str
    address: str
    details: str
    starts_at: datetime | None
    ends_at: datetime | None
    duration_minutes: int
    application_number: str | None
    volunteer_id: int | None
    round: int
    created_by: str
    created_at: datetime
    done_at: datetime | None
    has_photo: bool
    rating: int | None
    points_transaction: str | None
    checked_in_at: datetime | None = None
    served_minutes: int | None = None  # check-in to check-out: the hours and points credited come from it
    pings: list[TaskPingOut] = []


class VolunteerTaskView(BaseModel):
    """A task as its volunteer sees it: never an ID number, income, health or disability detail."""

    task_id: int
    skill: str
    area: dict[str, str]
    details: str
    starts_at: datetime | None
    ends_at: datetime | None
    duration_minutes: int
    given_name: str | None = None
    address: str | None = None


class VolunteerOut(BaseModel):
    id: int
    name: str
    mobile: str
    offices: list[str]
    availability: list[str]
    paused: bool
    skills: dict[str, bool] = Field(description="Each skill offered, and whether a caseworker qualified it")
    hours_served: Decimal
    created_at: datetime


class FundIn(_Body):
    code: str = Field(min_length=2, max_length=48, pattern=CODE_PATTERN, description="A stable short name",
                      examples=["minghu-market-2026"])
    name: Line = Field(min_length=1, max_length=128, examples=["明湖超市助学基金"])
    holder: Literal["enterprise", "merchant"]
    holder_ref: Line = Field(min_length=1, max_length=64,
                             description="The enterprise's id, or the username of the merchant's account "
                            "(which may then read the fund)")


class FundEntryIn(_Body):
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2, allow_inf_nan=False, description="CNY, to the fen",
                            examples=["500.00"])
    ref: Line = Field(min_length=1, max_length=128,
                      description="Donation: the donor or the receipt; spending: the id of a charity project or "
                      "the number of an application, which must exist")
    note: Paragraph = Field("", max_length=500)


class FundCorrectionIn(_Body):
    entry: Count = Field(gt=0, le=INTEGER_MAX, description="The entry to cancel with its opposite")
    reason: Paragraph = Field(min_length=1, max_length=500)


class FundEntryOut(BaseModel):
    id: int
    kind: Literal["donation", "spending", "correction"]
    amount: Decimal = Field(description="CNY. A donation or a spending: above zero, the kind gives the direction. "
                            "A correction (ref correction:<entry>): what it does to the balance, signed")
    ref: str
    note: str
    by: str
    at: datetime


class FundTotalsOut(BaseModel):
    """Every entry ever, summed per kind (CNY): a correction counts as neither a donation nor a spending."""

    donation: Decimal
    spending: Decimal
    correction: Decimal = Field(description="The corrections' net effect on the balance")


class FundPostedOut(BaseModel):
    entry: FundEntryOut
    balance: Decimal = Field(description="CNY after the entry")


class FundOut(BaseModel):
    code: str
    name: str
    holder: Literal["enterprise", "merchant"]
    holder_ref: str
    created_by: str
    created_at: datetime
    balance: Decimal = Field(description="CNY: donations less spending, plus corrections")
    totals: FundTotalsOut
    entries: list[FundEntryOut] = Field(description="The newest entries first (at most 20)")


# ---- a case's thread


class ThreadEntryOut(BaseModel):
    kind: Literal["message", "status", "note", "notice"]
    at: datetime
    author: str = Field(description="The staff member's display name or the applicant's name; empty for the system")
    author_role: Literal["staff", "resident", "system"]
    body: str = Field(description="A message, a note, or a status event's note")
    internal: bool = Field(description="Staff only: a note or a status event")
    status: CaseStatus | None = None
    action: str | None = None
    message_kind: Literal["question", "reply", "message"] | None = None
    document_ids: list[str] = []
    notice_kind: str | None = Field(None, description="The notification's kind (a notice)")
    notice_params: dict[str, Any] = {}
    delivery: str | None = Field(None, description="Where the notice stands: pending, queued, waiting, …")
    unread: bool = Field(description="A resident's message no caseworker had read before this reading")


class MessageIn(_Body):
    body: Paragraph = Field(min_length=1, max_length=2000, description="The message, in the resident's language")


class ResidentMessageIn(_Body):
    """A resident's words about their case, relayed by an integration (the bot-service role)."""

    resident: ResidentRef
    body: Paragraph = Field(min_length=1, max_length=2000)
    document_ids: list[Line] = Field(default=[], max_length=20, description="Documents the resident uploaded with it")


class MessageOut(BaseModel):
    id: int
    number: str
    direction: Literal["to_resident", "from_resident"]
    kind: Literal["question", "reply", "message"]
    body: str
    document_ids: list[str]
    at: datetime
