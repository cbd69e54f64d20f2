"""Volunteers and service tasks (信用+志愿): registration, qualification, matching, pings, check-in.

A caseworker creates a task for a case (or a resident asks for one by accepting an offered
service, and a caseworker schedules it). The best-ranked few volunteers are pinged with
Accept/Decline, each within the volunteer's own stated hours; the first to accept takes it; a
round left unanswered for ``task_ping_minutes`` (the creator is told), or declined by all, makes
way for the next few. The volunteer is reminded before the task, checks in on arrival and out on
leaving (or says after the end whether it happened); the time served credits their points (and
any honour certificate); the resident then confirms and rates it. Everything a volunteer is told
goes through notifications, written in the same unit of work as the change, so nothing is lost or
sent twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend.buttons import AnswerTask, ButtonAction, RateTask, TaskChoice, button
from backend.points.certificates import award_certificates
from backend.points.ledger import Ledger, LedgerError
from backend.policy.pack import Pack
from backend.store.errors import DecisionRefused, Forbidden, NotFound
from backend.store.users import OFFICE_ROLES, Role, User
from backend.volunteers.creator import tell_creator
from backend.volunteers.hours import hours_credited
from backend.volunteers.matching import next_ping_at, rank
from backend.volunteers.ports import (
    SKILLS,
    SLOTS,
    PingAnswer,
    Task,
    TaskSpec,
    TaskStatus,
    Volunteer,
    VolunteersUnitOfWork,
    hours_of,
)
from locales import Messages

MAX_TASK_MINUTES = 12 * 60
# How early before the start a volunteer may check in (they may arrive a little early).
EARLY_CHECK_IN = timedelta(hours=1)


class TaskRefused(DecisionRefused):
    """The request is not a valid task; ``field`` names the input at fault."""


@dataclass(frozen=True, slots=True)
class Answer:
    """What to tell the person who pressed a button: a message key and its parameters."""

    key: str
    params: dict[str, object]
    # Buttons that go with it: each an action and its label's message key.
    options: tuple[tuple[ButtonAction, str], ...] = ()


def volunteer_view(task: Task, *, assigned: bool, area: dict[str, str] | None = None) -> dict[str, object]:
    """What a volunteer is shown of a task: what to do, where and when — never the case's details
    (no ID number, income, health or disability, not even the application number).

    Before they accept, not even the given name and address: only the area (the office's names).
    """
    spec = task.spec
    view: dict[str, object] = {
        "task_id": task.id,
        "skill": spec.skill,
        "area": area or {"zh_CN": spec.office, "en": spec.office},
        "details": spec.details,
        "starts_at": spec.starts_at.isoformat() if spec.starts_at else None,
        "ends_at": spec.ends_at.isoformat() if spec.ends_at else None,
        "duration_minutes": spec.duration_minutes,
    }
    if assigned:
        view |= {"given_name": spec.given_name, "address": spec.address}
    return view


def task_buttons(task_id: int, *choices: TaskChoice) -> list[dict[str, object]]:
    """Notification buttons for a task (the dispatcher renders the labels)."""
    return [button(AnswerTask(task_id, choice), f"task.button.{choice.value}") for choice in choices]


class Volunteering:
    """The volunteer side of Yimen.

    Args:
        pack: the policy pack (ping batch and wait, reminder lead, points, certificate milestones).
        ledger: credits points for completed tasks.
        zone: the region's time zone (weekly availability is local time).
    """

    def __init__(self, pack: Pack, ledger: Ledger, *, zone: ZoneInfo, staff_messages: Messages | None = None) -> None:
        self._pack = pack
        self._ledger = ledger
        self._zone = zone
        # What a task's creator is told in their staff chat (default: the interface's language, HTML).
        self._staff_messages = staff_messages

    @property
    def zone(self) -> ZoneInfo:
        """The region's time zone."""
        return self._zone

    def view(self, task: Task, *, assigned: bool) -> dict[str, object]:
        """The volunteer's view of a task (``volunteer_view``) with the area named."""
        office = self._pack.regions.office(task.spec.office)
        return volunteer_view(task, assigned=assigned, area=office.names if office else None)

    # ------------------------------------------------------------------ volunteers

    async def register(self, uow: VolunteersUnitOfWork, resident_id: str, payload: Mapping[str, Any], *,
                       now: datetime) -> Volunteer:
        """Register (or update) the resident as a volunteer from the volunteer flow's payload.

        Raises:
            TaskRefused: an unknown skill, slot or office (the flow only offers known ones).
        """
        skills = [s for s in payload.get("skills", ()) if s in SKILLS]
        slots = [s for s in payload.get("availability", ()) if s in SLOTS]
        offices = [o for o in payload.get("offices", ()) if self._pack.regions.office(o) is not None]
        if not offices:
            raise TaskRefused("no known office", "offices")
        return await uow.volunteers.add(resident_id=resident_id, name=str(payload["name"]),
                                        mobile=str(payload["mobile"]), offices=offices, availability=slots,
                                        skills=skills, at=now)

    async def qualify(self, uow: VolunteersUnitOfWork, user: User, volunteer_id: int, skill: str, *,
                      now: datetime) -> Volunteer:
        """A caseworker vouches for a skill the volunteer claimed.

        Raises:
            NotFound: no such volunteer. Forbidden: not staff of an office the volunteer covers.
            TaskRefused: a skill they did not claim.
        """
        volunteer = await uow.volunteers.get(volunteer_id)
        if volunteer is None:
            raise NotFound(f"no volunteer {volunteer_id}")
        if user.role not in (*OFFICE_ROLES, Role.ADMIN) or (
            user.role in OFFICE_ROLES and user.office not in volunteer.offices
        ):
            raise Forbidden("only staff of an office the volunteer covers qualify their skills")
        if not await uow.volunteers.qualify(volunteer_id, skill, by=user.username, at=now):
            raise TaskRefused(f"the volunteer did not offer {skill!r}", "skill")
        await uow.audit.record(actor=user.username, action="volunteer.qualify", target=f"volunteer:{volunteer_id}",
                            details={"skill": skill}, at=now)
        found = await uow.volunteers.get(volunteer_id)
        assert found is not None
        return found

    async def set_paused(self, uow: VolunteersUnitOfWork, resident_id: str, paused: bool) -> Volunteer | None:
        """/pause and /resume; None when the resident is not a volunteer."""
        volunteer = await uow.volunteers.by_resident(resident_id)
        if volunteer is not None:
            await uow.volunteers.set_paused(volunteer.id, paused)
        return volunteer

    # ------------------------------------------------------------------ tasks

    async def create_task(self, uow: VolunteersUnitOfWork, user: User, spec: TaskSpec, *, now: datetime) -> Task:
        """A caseworker's task for a case: checked, stored, and the first volunteers pinged.

        Raises:
            Forbidden: another office's task or case. TaskRefused: a bad field (named).
            NotFound: an unknown application.
        """
        spec = await self._checked(uow, user, spec, now)
        task = await uow.tasks.add(spec, created_by=user.username, at=now)
        await uow.audit.record(actor=user.username, action="task.create", target=f"task:{task.id}",
                            details={"skill": spec.skill, "application": spec.application_number}, at=now)
        return await self._next_round(uow, task, now)

    async def request_task(self, uow: VolunteersUnitOfWork, *, resident_id: str, number: str | None, office: str,
                           skill: str, given_name: str, duration_minutes: int, now: datetime) -> Task:
        """A resident accepted an offered service: a task for a caseworker of the office to schedule."""
        spec = TaskSpec(skill=skill, office=office, given_name=given_name, address="", details="", starts_at=None,
                        ends_at=None, duration_minutes=duration_minutes, application_number=number,
                        resident_id=resident_id)
        return await uow.tasks.add(spec, created_by=f"resident:{resident_id}", at=now, status=TaskStatus.REQUESTED)

    async def schedule(self, uow: VolunteersUnitOfWork, user: User, task_id: int, *, address: str, details: str,
                       starts_at: datetime, ends_at: datetime, now: datetime) -> Task:
        """A caseworker sets the place and time of a requested task; volunteers are then pinged."""
        task = await self._task_for(uow, user, task_id)
        if task.status is not TaskStatus.REQUESTED:
            raise TaskRefused(f"the task is {task.status}, not requested", "status")
        spec = replace(task.spec, address=address, details=details, starts_at=starts_at, ends_at=ends_at)
        spec = await self._checked(uow, user, spec, now)
        await uow.tasks.update(task_id, address=spec.address, details=spec.details, starts_at=spec.starts_at,
                               ends_at=spec.ends_at, status=TaskStatus.OPEN.value)
        await uow.audit.record(actor=user.username, action="task.schedule", target=f"task:{task_id}", details={},
                               at=now)
        scheduled = await uow.tasks.get(task_id)
        assert scheduled is not None
        return await self._next_round(uow, scheduled, now)

    async def get_task(self, uow: VolunteersUnitOfWork, user: User, task_id: int) -> Task:
        return await self._task_for(uow, user, task_id)

    async def _task_for(self, uow: VolunteersUnitOfWork, user: User, task_id: int) -> Task:
        task = await uow.tasks.get(task_id)
        if task is None:
            raise NotFound(f"no task {task_id}")
        if user.role in OFFICE_ROLES and user.office != task.spec.office:
            raise Forbidden(f"task {task_id} belongs to {task.spec.office}")
        if user.role not in (*OFFICE_ROLES, Role.ADMIN):
            raise Forbidden("only caseworkers, supervisors and administrators handle tasks")
        return task

    async def _checked(self, uow: VolunteersUnitOfWork, user: User, spec: TaskSpec, now: datetime) -> TaskSpec:
        if user.role not in (*OFFICE_ROLES, Role.ADMIN):
            raise Forbidden("only caseworkers, supervisors and administrators create tasks")
        if spec.skill not in SKILLS:
            raise TaskRefused(f"unknown skill {spec.skill!r}", "skill")
        if self._pack.regions.office(spec.office) is None:
            raise TaskRefused(f"unknown office {spec.office!r}", "office")
        if user.role in OFFICE_ROLES and user.office != spec.office:
            raise Forbidden(f"you work for {user.office}, not {spec.office}")
        if spec.starts_at is None or spec.ends_at is None or spec.starts_at < now:
            raise TaskRefused("a task starts in the future", "starts_at")
        if spec.ends_at <= spec.starts_at:
            raise TaskRefused("a task ends after it starts", "ends_at")
        if not 0 < spec.duration_minutes <= MAX_TASK_MINUTES:
            raise TaskRefused(f"a task takes between 1 and {MAX_TASK_MINUTES} minutes", "duration_minutes")
        if not spec.address.strip():
            raise TaskRefused("a task needs an address", "address")
        if spec.application_number is None:
            return spec
        case = await uow.cases.get(spec.application_number)
        if case is None:
            raise NotFound(f"no application {spec.application_number}")
        if case.office != spec.office:
            raise TaskRefused(f"application {case.number} belongs to {case.office}", "office")
        return replace(spec, resident_id=case.resident_id)

    async def _next_round(self, uow: VolunteersUnitOfWork, task: Task, now: datetime, *,
                          timed_out: bool = False) -> Task:
        """Ping the next few best-ranked volunteers; with nobody left, the task is unfilled.

        Each ping goes out within the volunteer's stated hours (at once, or when they begin), and
        only to those it reaches before the task starts. With ``timed_out`` (nobody accepted the
        last round in time) the task's creator is told, with whom is asked next and when.
        """
        today = now.date()
        batch = int(self._pack.parameter("task_ping_batch", today).value)
        wait = timedelta(minutes=int(self._pack.parameter("task_ping_minutes", today).value))
        await uow.tasks.answer_pings(task.id, PingAnswer.EXPIRED, at=now)
        assert task.spec.starts_at is not None
        candidates = await uow.volunteers.candidates(office=task.spec.office, skill=task.spec.skill, task_id=task.id)
        timed = [(c, next_ping_at(now, c.volunteer.availability, self._zone))
                 for c in rank(candidates, task.spec.starts_at, self._zone)]
        chosen = [(c, at) for c, at in timed if at < task.spec.starts_at][:batch]
        if not chosen:
            await uow.tasks.update(task.id, status=TaskStatus.UNFILLED.value, next_round_at=None)
            await uow.audit.record(actor="system", action="task.unfilled", target=f"task:{task.id}", details={}, at=now)
            if timed_out or task.round > 0:
                await tell_creator(uow, self._staff_messages, task, [], now=now, timed_out=timed_out)
            found = await uow.tasks.get(task.id)
            assert found is not None
            return found
        round_ = task.round + 1
        for candidate, at in chosen:
            await uow.tasks.add_ping(task.id, candidate.volunteer.id, round=round_, at=at)
            # Urgent: the residents' nightly quiet hours do not hold it; the volunteer's own hours
            # (``not_before``) do.
            await uow.notifications.add(
                resident_id=candidate.volunteer.resident_id, application_number=None, kind="task_offer",
                params={**self.view(task, assigned=False),
                        "buttons": task_buttons(task.id, TaskChoice.ACCEPT, TaskChoice.DECLINE)},
                at=now, urgent=True, not_before=at if at > now else None,
            )
        await uow.tasks.update(task.id, round=round_, next_round_at=max(at for _, at in chosen) + wait)
        if timed_out:
            await tell_creator(uow, self._staff_messages, task, [(c.volunteer.name, at) for c, at in chosen], now=now,
                               timed_out=True)
        found = await uow.tasks.get(task.id)
        assert found is not None
        return found

    # ------------------------------------------------------------------ buttons

    async def press(self, uow: VolunteersUnitOfWork, resident_id: str, action: AnswerTask | RateTask, *,
                    now: datetime) -> Answer | None:
        """A task or rating button pressed by a resident; None when it is not theirs to press."""
        await uow.tasks.lock(action.task_id)  # answers to one task are taken one at a time
        task = await uow.tasks.get(action.task_id)
        if task is None:
            return None
        if isinstance(action, RateTask):
            return await self._rate(uow, resident_id, task, action.stars, now)
        volunteer = await uow.volunteers.by_resident(resident_id)
        if volunteer is None:
            return None
        if action.choice in (TaskChoice.ACCEPT, TaskChoice.DECLINE):
            return await self._answer_ping(uow, volunteer, task, action.choice is TaskChoice.ACCEPT, now)
        if task.volunteer_id != volunteer.id:
            return None
        if action.choice is TaskChoice.CHECK_IN:
            return await self._arrive(uow, task, now)
        if action.choice is TaskChoice.CHECK_OUT:
            return await self._leave(uow, volunteer, task, now)
        return await self._done_or_missed(uow, volunteer, task, action.choice is TaskChoice.DONE, now)

    async def _answer_ping(self, uow: VolunteersUnitOfWork, volunteer: Volunteer, task: Task, accepted: bool,
                           now: datetime) -> Answer | None:
        ping = await uow.tasks.ping(task.id, volunteer.id)
        if ping is None:
            return None
        if ping.answer is not None or task.status is not TaskStatus.OPEN:
            taken = task.volunteer_id is not None and task.volunteer_id != volunteer.id
            return Answer("task.taken" if taken else "task.answered", {"task_id": task.id})
        if not accepted:
            await uow.tasks.answer_pings(task.id, PingAnswer.DECLINED, at=now, volunteer_id=volunteer.id)
            if await uow.tasks.unanswered(task.id) == 0:
                await self._next_round(uow, task, now)  # everyone asked said no: ask the next few now
            return Answer("task.declined", {"task_id": task.id})
        if not await uow.tasks.take(task.id, volunteer.id, at=now):
            return Answer("task.taken", {"task_id": task.id})
        await uow.tasks.answer_pings(task.id, PingAnswer.ACCEPTED, at=now, volunteer_id=volunteer.id)
        await uow.tasks.answer_pings(task.id, PingAnswer.TAKEN, at=now)
        if task.spec.resident_id is not None:
            await uow.notifications.add(
                resident_id=task.spec.resident_id, application_number=None, kind="task_assigned",
                params={"volunteer": given_name(volunteer.name), "skill": task.spec.skill,
                        "starts_at": task.spec.starts_at.isoformat() if task.spec.starts_at else None},
                at=now,
            )
        return Answer("task.accepted", self.view(task, assigned=True),
                      ((AnswerTask(task.id, TaskChoice.CHECK_IN), "task.button.check_in"),))

    async def _arrive(self, uow: VolunteersUnitOfWork, task: Task, now: datetime) -> Answer:
        """Check-in: the volunteer is there (from a little before the start)."""
        if task.status is not TaskStatus.ASSIGNED or task.checked_in_at is not None:
            return Answer("task.answered", {"task_id": task.id})
        assert task.spec.starts_at is not None
        if now < task.spec.starts_at - EARLY_CHECK_IN:
            return Answer("task.too_early", {"starts_at": task.spec.starts_at.isoformat(),
                                             "minutes": int(EARLY_CHECK_IN.total_seconds() // 60)})
        await uow.tasks.update(task.id, checked_in_at=now)
        return Answer("task.checked_in", {"task_id": task.id, "given_name": task.spec.given_name},
                      ((AnswerTask(task.id, TaskChoice.CHECK_OUT), "task.button.check_out"),))

    async def _leave(self, uow: VolunteersUnitOfWork, volunteer: Volunteer, task: Task, now: datetime) -> Answer:
        """Check-out: the time since the check-in is what they served (at most the time planned)."""
        if task.status is not TaskStatus.ASSIGNED:
            return Answer("task.answered", {"task_id": task.id})
        if task.checked_in_at is None:
            return Answer("task.check_in_first", {"task_id": task.id},
                          ((AnswerTask(task.id, TaskChoice.CHECK_IN), "task.button.check_in"),))
        return await self._complete(uow, volunteer, task, served_minutes(task, now), now)

    async def _done_or_missed(self, uow: VolunteersUnitOfWork, volunteer: Volunteer, task: Task, done: bool,
                              now: datetime) -> Answer:
        """The answer to "did it happen?" after the task's end: done counts from the check-in when
        there was one, else the time planned."""
        if task.status is not TaskStatus.ASSIGNED:
            return Answer("task.answered", {"task_id": task.id})
        if not done:
            await uow.tasks.update(task.id, status=TaskStatus.MISSED.value, done_at=now)
            return Answer("task.missed", {"task_id": task.id})
        minutes = served_minutes(task, now) if task.checked_in_at else task.spec.duration_minutes
        return await self._complete(uow, volunteer, task, minutes, now)

    async def _complete(self, uow: VolunteersUnitOfWork, volunteer: Volunteer, task: Task, minutes: int,
                        now: datetime) -> Answer:
        """Done: the minutes served become the task's hours and the points credited for them, so
        that /points' hours and points always agree."""
        hours = hours_of(minutes)
        before = await hours_credited(uow, volunteer.id)  # milestones count the hours /points shows
        try:
            txn: str | None
            txn, points = await self._ledger.credit_task(uow, str(volunteer.id), volunteer.name, hours=hours,
                                                         task=str(task.id), by=f"volunteer:{volunteer.id}", now=now)
        except LedgerError:
            txn, points = None, 0  # a few minutes earn no whole point; the hours still count
        await uow.tasks.update(task.id, status=TaskStatus.DONE.value, done_at=now, points_txn=txn,
                               served_minutes=minutes)
        await award_certificates(uow, self._pack, volunteer_id=volunteer.id, resident_id=volunteer.resident_id,
                                 name=volunteer.name, hours_before=before, hours_after=before + hours, now=now)
        if task.spec.resident_id is not None:
            await uow.notifications.add(
                resident_id=task.spec.resident_id, application_number=None, kind="task_confirm",
                params={"task_id": task.id, "volunteer": given_name(volunteer.name), "skill": task.spec.skill,
                        "buttons": [button(RateTask(task.id, n), f"task.button.stars_{n}") for n in range(1, 6)]},
                at=now,
            )
        return Answer("task.thanks", {"task_id": task.id, "points": points, "hours": str(hours)})

    async def _rate(self, uow: VolunteersUnitOfWork, resident_id: str, task: Task, stars: int,
                    now: datetime) -> Answer | None:
        if task.spec.resident_id != resident_id or not 1 <= stars <= 5:
            return None
        if task.status is not TaskStatus.DONE:
            return Answer("task.answered", {"task_id": task.id})
        await uow.tasks.update(task.id, status=TaskStatus.CONFIRMED.value, rating=stars, rated_at=now)
        return Answer("task.rated", {"stars": stars})

    async def attach_photo(self, uow: VolunteersUnitOfWork, resident_id: str, document_id: str, *,
                           now: datetime) -> Task | None:
        """A photo a volunteer sends right after checking in joins that task (the newest without one)."""
        volunteer = await uow.volunteers.by_resident(resident_id)
        if volunteer is None:
            return None
        task = await uow.tasks.awaiting_photo(volunteer.id, since=now - timedelta(hours=24))
        if task is not None:
            await uow.tasks.update(task.id, photo_document_id=document_id)
        return task

    # ------------------------------------------------------------------ time

    async def tick(self, uow: VolunteersUnitOfWork, now: datetime) -> int:
        """Next rounds of pings, reminders before tasks, check-ins after them; how many acted on."""
        acted = 0
        for task in await uow.tasks.due_rounds(now):
            await uow.tasks.lock(task.id)
            fresh = await uow.tasks.get(task.id)
            if (fresh is not None and fresh.status is TaskStatus.OPEN
                    and fresh.next_round_at and fresh.next_round_at <= now):
                await self._next_round(uow, fresh, now, timed_out=True)
                acted += 1
        ahead = timedelta(hours=int(self._pack.parameter("task_reminder_hours", now.date()).value))
        for task in await uow.tasks.due_reminders(now, ahead=ahead):
            await self._tell_volunteer(uow, task, "task_reminder", (TaskChoice.CHECK_IN,), now)
            await uow.tasks.update(task.id, reminded_at=now)
            acted += 1
        for task in await uow.tasks.due_checkins(now):
            # Checked in: only the check-out is missing. Otherwise: did it happen?
            choices = (TaskChoice.CHECK_OUT,) if task.checked_in_at else (TaskChoice.DONE, TaskChoice.MISSED)
            await self._tell_volunteer(uow, task, "task_checkin", choices, now)
            await uow.tasks.update(task.id, checkin_sent_at=now)
            acted += 1
        return acted

    async def _tell_volunteer(self, uow: VolunteersUnitOfWork, task: Task, kind: str, choices: tuple[TaskChoice, ...],
                              now: datetime) -> None:
        volunteer = await uow.volunteers.get(task.volunteer_id) if task.volunteer_id else None
        if volunteer is None:
            return
        params = self.view(task, assigned=True)
        if choices:
            params["buttons"] = task_buttons(task.id, *choices)
        await uow.notifications.add(resident_id=volunteer.resident_id, application_number=None, kind=kind,
                                    params=params, at=now)


def given_name(name: str) -> str:
    """What a stranger calls someone: 秀英 of 王秀英 (a one-character family name), Anna of Anna Li."""
    name = name.strip()
    if name and all("\u4e00" <= ch <= "\u9fff" for ch in name):
        # A two-character name is said whole: one character alone is not how anyone is addressed.
        return name[1:] if len(name) >= 3 else name
    return name.split()[0] if name.split() else name


def served_minutes(task: Task, now: datetime) -> int:
    """Minutes from the check-in to ``now``: at least one, at most the time planned (a task booked
    for two hours earns two hours' points however long the check-out waits)."""
    assert task.checked_in_at is not None
    elapsed = int((now - task.checked_in_at).total_seconds() // 60)
    return max(1, min(elapsed, task.spec.duration_minutes))
