"""SQLAlchemy implementations of the office-side ports, bound to one unit of work's session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.cases.lifecycle import BEFORE_DECISION, OPEN, CaseStatus
from backend.cases.ports import (
    UNSET,
    AuditEntry,
    Case,
    CaseQuery,
    DueNotification,
    DuplicateUser,
    Note,
    Notification,
    Offer,
    Role,
    StatusEvent,
    StoredResponse,
    Unset,
    User,
)
from backend.db.applications import application_id_of
from backend.db.models import (
    ApplicationRow,
    AuditRow,
    CaseNoteRow,
    ChannelIdentityRow,
    IdempotencyRow,
    NotificationRow,
    OfferRow,
    ResidentRow,
    StatusHistoryRow,
    UserRow,
)
from backend.db.sql import advisory_lock
from backend.ports import NotFound

_OPEN = [s.value for s in OPEN]
STILL_IN_REVIEW = "still_in_review"


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        office=row.office,
        telegram_id=row.telegram_id,
        on_duty=row.on_duty,
        active=row.active,
        created_at=row.created_at,
    )


class SqlUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        username: str,
        display_name: str,
        role: Role,
        office: str | None,
        token_hash: str,
        telegram_id: str | None,
        on_duty: bool,
        at: datetime,
    ) -> User:
        row = UserRow(
            username=username,
            display_name=display_name,
            role=role.value,
            office=office,
            token_hash=token_hash,
            telegram_id=telegram_id,
            on_duty=on_duty,
            active=True,
            created_at=at,
        )
        try:
            # A savepoint, so that a taken name leaves the unit of work usable.
            async with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError as error:
            raise DuplicateUser(f"a user named {username!r} or with that Telegram id exists already") from error
        return _user(row)

    async def get(self, username: str) -> User | None:
        row = await self._session.scalar(select(UserRow).where(UserRow.username == username))
        return _user(row) if row else None

    async def by_token_hash(self, token_hash: str) -> User | None:
        row = await self._session.scalar(
            select(UserRow).where(UserRow.token_hash == token_hash, UserRow.active.is_(True))
        )
        return _user(row) if row else None

    async def list(self, office: str | None = None) -> list[User]:
        statement = select(UserRow).order_by(UserRow.id)
        if office is not None:
            statement = statement.where(UserRow.office == office)
        return [_user(r) for r in await self._session.scalars(statement)]

    async def update(
        self,
        username: str,
        *,
        on_duty: bool | Unset = UNSET,
        active: bool | Unset = UNSET,
        token_hash: str | Unset = UNSET,
    ) -> User:
        values = {
            name: value
            for name, value in (("on_duty", on_duty), ("active", active), ("token_hash", token_hash))
            if value is not UNSET
        }
        if values:
            await self._session.execute(update(UserRow).where(UserRow.username == username).values(**values))
        user = await self.get(username)
        if user is None:
            raise NotFound(f"no user {username!r}")
        return user

    async def least_loaded(self, office: str, *, on_duty: bool = False) -> User | None:
        load = func.count(ApplicationRow.id)
        statement = (
            select(UserRow, load)
            .outerjoin(
                ApplicationRow,
                and_(ApplicationRow.assigned_to == UserRow.id, ApplicationRow.status.in_(_OPEN)),
            )
            .where(UserRow.office == office, UserRow.role == Role.CASEWORKER.value, UserRow.active.is_(True))
            .group_by(UserRow.id)
            .order_by(load, UserRow.id)
            .limit(1)
        )
        if on_duty:
            statement = statement.where(UserRow.on_duty.is_(True))
        row = (await self._session.execute(statement)).first()
        return _user(row[0]) if row else None


_ASSIGNEE = aliased(UserRow, name="assignee")
_PROPOSER = aliased(UserRow, name="proposer")
_CASE_COLUMNS = (ApplicationRow, _ASSIGNEE.username, _PROPOSER.username)


def _case_select() -> Any:
    return (
        select(*_CASE_COLUMNS)
        .outerjoin(_ASSIGNEE, _ASSIGNEE.id == ApplicationRow.assigned_to)
        .outerjoin(_PROPOSER, _PROPOSER.id == ApplicationRow.proposed_by)
    )


_LIGHT_COLUMNS = tuple(c for c in ApplicationRow.__table__.c if c.name not in ("payload", "assessment"))


def _light_select() -> Any:
    """Like ``_case_select`` without the payload and the assessment."""
    return (
        select(*_LIGHT_COLUMNS, _ASSIGNEE.username, _PROPOSER.username)
        .outerjoin(_ASSIGNEE, _ASSIGNEE.id == ApplicationRow.assigned_to)
        .outerjoin(_PROPOSER, _PROPOSER.id == ApplicationRow.proposed_by)
    )


def _light_case(row: Any) -> Case:
    m = row._mapping
    return Case(
        number=m["number"], resident_id=m["resident_id"], status=CaseStatus(m["status"]), office=m["office"],
        district=m["district"], layer=m["layer"], resilience_level=m["resilience_level"], emergency=m["emergency"],
        queues=tuple(m["queues"] or ()), station=m["station"], deadline_at=m["deadline_at"],
        assigned_to=row[-2], proposed_by=row[-1], decision=m["decision"], submitted_at=m["submitted_at"],
        updated_at=m["updated_at"], payload={}, assessment=None,
    )


def _case(row: Any) -> Case:
    application, assignee, proposer = row
    return Case(
        number=application.number,
        resident_id=application.resident_id,
        status=CaseStatus(application.status),
        office=application.office,
        district=application.district,
        layer=application.layer,
        resilience_level=application.resilience_level,
        emergency=application.emergency,
        queues=tuple(application.queues or ()),
        station=application.station,
        deadline_at=application.deadline_at,
        assigned_to=assignee,
        proposed_by=proposer,
        decision=application.decision,
        submitted_at=application.submitted_at,
        updated_at=application.updated_at,
        payload=application.payload,
        assessment=application.assessment,
    )


def _conditions(query: CaseQuery, now: datetime) -> list[Any]:
    conditions = []
    if query.office is not None:
        conditions.append(ApplicationRow.office == query.office)
    if query.layer is not None:
        conditions.append(ApplicationRow.layer == query.layer)
    if query.resilience_level is not None:
        conditions.append(ApplicationRow.resilience_level == query.resilience_level)
    if query.status is not None:
        conditions.append(ApplicationRow.status == query.status.value)
    if query.emergency is not None:
        conditions.append(ApplicationRow.emergency.is_(query.emergency))
    if query.assigned_to is not None:
        conditions.append(_ASSIGNEE.username == query.assigned_to)
    if query.overdue is not None:
        # A case without a deadline is never overdue (and so matches overdue=False).
        late = and_(ApplicationRow.deadline_at.is_not(None), ApplicationRow.deadline_at < now,
                    ApplicationRow.status.in_(_OPEN))
        conditions.append(late if query.overdue else ~late)
    return conditions


class SqlCaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, number: str) -> Case | None:
        row = (await self._session.execute(_case_select().where(ApplicationRow.number == number))).first()
        return _case(row) if row else None

    async def lock(self, number: str) -> None:
        await advisory_lock(self._session, f"case:{number}")

    async def list(self, query: CaseQuery, *, now: datetime) -> tuple[list[Case], int]:
        conditions = _conditions(query, now)

        def scoped(statement: Any) -> Any:
            # The assignee is joined only to filter on it: without it the count and the page's ids
            # are read from ix_applications_queue alone.
            if query.assigned_to is not None:
                statement = statement.outerjoin(_ASSIGNEE, _ASSIGNEE.id == ApplicationRow.assigned_to)
            return statement.where(*conditions)

        total = await self._session.scalar(scoped(select(func.count()).select_from(ApplicationRow)))
        # The page's ids first, sorted from the queue index alone; then only those rows are read.
        # Sorting whole rows would drag every case's payload and assessment through the sort.
        ids = list(await self._session.scalars(
            scoped(select(ApplicationRow.id))
            .order_by(
                ApplicationRow.emergency.desc(),
                case((ApplicationRow.deadline_at.is_(None), 1), else_=0),
                ApplicationRow.deadline_at,
                ApplicationRow.submitted_at,
                ApplicationRow.id,
            )
            .limit(query.limit)
            .offset(query.offset)
        ))
        if not ids:
            return [], int(total or 0)
        if not query.documents:
            light = {r.id: r for r in await self._session.execute(_light_select().where(ApplicationRow.id.in_(ids)))}
            return [_light_case(light[i]) for i in ids], int(total or 0)
        rows = {r[0].id: r for r in await self._session.execute(_case_select().where(ApplicationRow.id.in_(ids)))}
        return [_case(rows[i]) for i in ids], int(total or 0)

    async def residents(self, query: CaseQuery, *, now: datetime) -> list[str]:
        """The residents behind the cases a query selects (paging ignored), each once."""
        rows = await self._session.scalars(
            select(ApplicationRow.resident_id)
            .outerjoin(_ASSIGNEE, _ASSIGNEE.id == ApplicationRow.assigned_to)
            .where(*_conditions(query, now))
            .distinct()
            .order_by(ApplicationRow.resident_id)
        )
        return list(rows)

    async def transition(
        self,
        number: str,
        *,
        status: CaseStatus,
        action: str,
        actor: str,
        note: str,
        at: datetime,
        assigned_to: str | None | Unset = UNSET,
        proposed_by: str | None | Unset = UNSET,
        decision: dict[str, Any] | None | Unset = UNSET,
    ) -> None:
        application_id = await self._id(number)
        values: dict[str, Any] = {"status": status.value, "updated_at": at}
        if assigned_to is not UNSET:
            values["assigned_to"] = await self._user_id(assigned_to)
        if proposed_by is not UNSET:
            values["proposed_by"] = await self._user_id(proposed_by)
        if decision is not UNSET:
            values["decision"] = decision
        await self._session.execute(update(ApplicationRow).where(ApplicationRow.id == application_id).values(**values))
        self._session.add(
            StatusHistoryRow(
                application_id=application_id, status=status.value, action=action, actor=actor, note=note, at=at
            )
        )

    async def waiting_long(self, *, submitted_before: datetime, not_told_since: datetime) -> list[Case]:
        told = (
            select(NotificationRow.id)
            .where(
                NotificationRow.application_number == ApplicationRow.number,
                NotificationRow.kind == STILL_IN_REVIEW,
                NotificationRow.created_at >= not_told_since,
            )
            .exists()
        )
        rows = await self._session.execute(
            _case_select()
            .where(
                ApplicationRow.status.in_([s.value for s in BEFORE_DECISION]),
                ApplicationRow.submitted_at < submitted_before,
                ~told,
            )
            .order_by(ApplicationRow.id)
        )
        return [_case(r) for r in rows]

    async def history(self, number: str) -> list[StatusEvent]:
        application_id = await self._id(number)
        rows = await self._session.scalars(
            select(StatusHistoryRow)
            .where(StatusHistoryRow.application_id == application_id)
            .order_by(StatusHistoryRow.at, StatusHistoryRow.id)
        )
        return [StatusEvent(CaseStatus(r.status), r.action, r.actor, r.note, r.at) for r in rows]

    async def add_note(self, number: str, *, author: str, body: str, at: datetime) -> Note:
        row = CaseNoteRow(application_id=await self._id(number), author=author, body=body, at=at)
        self._session.add(row)
        await self._session.flush()
        return Note(row.id, row.author, row.body, row.at)

    async def notes(self, number: str) -> list[Note]:
        application_id = await self._id(number)
        rows = await self._session.scalars(
            select(CaseNoteRow).where(CaseNoteRow.application_id == application_id).order_by(CaseNoteRow.id)
        )
        return [Note(r.id, r.author, r.body, r.at) for r in rows]

    async def _id(self, number: str) -> int:
        return await application_id_of(self._session, number)

    async def _user_id(self, username: str | None) -> int | None:
        if username is None:
            return None
        user_id = await self._session.scalar(select(UserRow.id).where(UserRow.username == username))
        if user_id is None:
            raise NotFound(f"no user {username!r}")
        return user_id


class SqlAuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, *, actor: str, action: str, target: str, details: dict[str, Any], at: datetime) -> None:
        self._session.add(AuditRow(actor=actor, action=action, target=target, details=details, at=at))

    async def for_target(self, target: str) -> list[AuditEntry]:
        rows = await self._session.scalars(
            select(AuditRow).where(AuditRow.target == target).order_by(AuditRow.at, AuditRow.id)
        )
        return [AuditEntry(r.at, r.actor, r.action, r.target, r.details) for r in rows]


class SqlIdempotencyStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock(self, owner: str, key: str) -> None:
        await advisory_lock(self._session, f"idempotency:{owner}:{key}")

    async def get(self, owner: str, key: str) -> StoredResponse | None:
        row = await self._session.get(IdempotencyRow, (owner, key))
        return StoredResponse(row.request_hash, row.status, row.response) if row else None

    async def put(self, owner: str, key: str, response: StoredResponse, *, at: datetime) -> None:
        self._session.add(
            IdempotencyRow(
                owner=owner,
                key=key,
                request_hash=response.request_hash,
                status=response.status,
                response=response.body,
                created_at=at,
            )
        )
        await self._session.flush()


def _notification(row: NotificationRow) -> Notification:
    return Notification(row.id, row.resident_id, row.application_number, row.kind, row.params, row.status,
                        row.created_at, row.urgent)


class SqlNotificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        resident_id: str,
        application_number: str | None,
        kind: str,
        params: dict[str, Any],
        at: datetime,
        urgent: bool = False,
    ) -> None:
        self._session.add(
            NotificationRow(
                resident_id=resident_id,
                application_number=application_number,
                kind=kind,
                params=params,
                urgent=urgent,
                created_at=at,
            )
        )

    async def claim(self, *, channels: tuple[str, ...], urgent_only: bool, limit: int) -> list[DueNotification]:
        statement = select(NotificationRow).where(NotificationRow.status == "pending")
        if urgent_only:
            statement = statement.where(NotificationRow.urgent.is_(True))
        # Emergencies first, then oldest first.
        statement = statement.order_by(NotificationRow.urgent.desc(), NotificationRow.id).limit(limit)
        if self._session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        rows = list(await self._session.scalars(statement))
        if not rows:
            return []
        residents = {r.resident_id for r in rows}
        locales = dict(
            (await self._session.execute(
                select(ResidentRow.id, ResidentRow.locale).where(ResidentRow.id.in_(residents))
            )).all()
        )
        # The identity to push to: of the channels that can push, the most preferred; within one
        # channel the newest identity.
        identities: dict[str, tuple[str, str]] = {}
        found = await self._session.execute(
            select(ChannelIdentityRow.resident_id, ChannelIdentityRow.channel, ChannelIdentityRow.external_id)
            .where(ChannelIdentityRow.resident_id.in_(residents), ChannelIdentityRow.channel.in_(channels))
            .order_by(ChannelIdentityRow.id.desc())
        )
        for resident_id, channel, address in found:
            best = identities.get(resident_id)
            if best is None or channels.index(channel) < channels.index(best[0]):
                identities[resident_id] = (channel, address)
        return [
            DueNotification(
                _notification(r),
                locales.get(r.resident_id),
                *identities.get(r.resident_id, (None, None)),
            )
            for r in rows
        ]

    async def waiting(self, resident_id: str) -> list[Notification]:
        rows = await self._session.scalars(
            select(NotificationRow)
            .where(NotificationRow.resident_id == resident_id, NotificationRow.status == "waiting")
            .order_by(NotificationRow.id)
        )
        return [_notification(n) for n in rows]

    async def requeue_waiting(self, resident_id: str) -> None:
        """The resident can be pushed to now: what waited for their return goes out like any other."""
        await self._session.execute(
            update(NotificationRow)
            .where(NotificationRow.resident_id == resident_id, NotificationRow.status == "waiting")
            .values(status="pending", dispatched_at=None)
        )

    async def mark(self, notification_id: int, *, status: str, at: datetime, outbox_id: int | None = None) -> None:
        await self._session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == notification_id)
            .values(status=status, dispatched_at=at, outbox_id=outbox_id)
        )

    async def for_resident(self, resident_id: str) -> list[Notification]:
        rows = await self._session.scalars(
            select(NotificationRow).where(NotificationRow.resident_id == resident_id).order_by(NotificationRow.id)
        )
        return [_notification(n) for n in rows]


def _offer(row: OfferRow) -> Offer:
    return Offer(row.id, row.resident_id, row.application_number, row.kind, row.ref, row.status, row.created_at,
                 row.answered_at)


class SqlOfferRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *, resident_id: str, application_number: str | None, kind: str, ref: str,
                  at: datetime) -> int | None:
        existing = await self._session.scalar(
            select(OfferRow.id).where(OfferRow.resident_id == resident_id, OfferRow.kind == kind, OfferRow.ref == ref)
        )
        if existing is not None:
            return None
        row = OfferRow(resident_id=resident_id, application_number=application_number, kind=kind, ref=ref,
                       status="offered", created_at=at)
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def get(self, offer_id: int) -> Offer | None:
        row = await self._session.get(OfferRow, offer_id)
        return _offer(row) if row else None

    async def lock(self, kind: str, ref: str) -> None:
        await advisory_lock(self._session, f"offer:{kind}:{ref}")

    async def answer(self, offer_id: int, *, status: str, at: datetime) -> bool:
        result = await self._session.execute(
            update(OfferRow).where(OfferRow.id == offer_id, OfferRow.status == "offered")
            .values(status=status, answered_at=at)
        )
        return result.rowcount == 1

    async def taken(self, kind: str, ref: str) -> list[Offer]:
        rows = await self._session.scalars(
            select(OfferRow).where(OfferRow.kind == kind, OfferRow.ref == ref, OfferRow.status == "accepted")
            .order_by(OfferRow.answered_at, OfferRow.id)
        )
        return [_offer(r) for r in rows]
