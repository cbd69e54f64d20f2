"""A case's deadlines, stage by stage, from the pack's dated parameters (审核确认时限).

The stages follow one another from the day of submission: acceptance (受理), review by the
street office (审核), public notice (公示, in calendar days) and approval (确认). The last stage's
date is the decision deadline: the date promised to the resident and the one the office works to.
Working days are counted by ``backend.policy.workdays``; a schedule any of whose counts reached
past the holiday data is ``estimated``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from backend.policy.pack import Pack
from backend.policy.workdays import add_workdays


class Stage(StrEnum):
    ACCEPTANCE = "acceptance"
    STREET_REVIEW = "street_review"
    PUBLIC_NOTICE = "public_notice"
    APPROVAL = "approval"


# Each stage with its parameter and whether that counts working days (else calendar days).
STAGES: tuple[tuple[Stage, str, bool], ...] = (
    (Stage.ACCEPTANCE, "acceptance_workdays", True),
    (Stage.STREET_REVIEW, "street_review_workdays", True),
    (Stage.PUBLIC_NOTICE, "public_notice_days", False),
    (Stage.APPROVAL, "approval_workdays", True),
)


@dataclass(frozen=True, slots=True)
class Schedule:
    """The last day of each stage, in order; ``estimated`` when a count assumed Monday–Friday."""

    stages: tuple[tuple[Stage, date], ...]
    estimated: bool

    @property
    def decision_by(self) -> date:
        return self.stages[-1][1]

    def due(self, stage: Stage) -> date:
        return dict(self.stages)[stage]


def schedule(submitted_on: date, pack: Pack) -> Schedule:
    """The stages' last days for an application submitted on ``submitted_on`` (a local date),
    under the parameters in force that day."""
    day, estimated = submitted_on, False
    stages: list[tuple[Stage, date]] = []
    for stage, name, working in STAGES:
        count = int(pack.parameter(name, submitted_on).value)
        if working:
            reached = add_workdays(day, count)
            day, estimated = reached.on, estimated or reached.estimated
        else:
            day += timedelta(days=count)
        stages.append((stage, day))
    return Schedule(tuple(stages), estimated)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The last second of ``day`` where the office is: a deadline holds through its whole day."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The office's calendar day at ``moment``."""
    return moment.astimezone(zone).date()
