"""Volunteer services and the scheme invitation as data (``<pack>/services.yaml``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from backend.policy.errors import pack_error
from backend.policy.projects import fact_rule
from backend.policy.regions import PACKS
from backend.policy.rules import MatchRule
from backend.policy.yamlfile import read_yaml

# What a volunteer can offer; a skill counts for matching once a caseworker has qualified it. The
# catalogue below names its services by these, so they belong to the policy, below the volunteers.
SKILLS = ("companion", "delivery", "tutoring", "elder_care", "hospital_escort", "repairs", "counselling")


@dataclass(frozen=True, slots=True)
class Service:
    skill: str
    duration_minutes: int
    rule: MatchRule

    def fits(self, facts: Mapping[str, bool]) -> bool:
        return self.rule.matched(facts) is not None


@dataclass(frozen=True, slots=True)
class ServiceCatalogue:
    services: tuple[Service, ...] = ()
    # Who is invited to volunteer themselves; None: nobody is.
    invitation: MatchRule | None = None

    def matching(self, facts: Mapping[str, bool]) -> list[Service]:
        return [s for s in self.services if s.fits(facts)]

    def invites(self, facts: Mapping[str, bool]) -> bool:
        return self.invitation is not None and self.invitation.matched(facts) is not None


def load_services(pack: str = "demo", root: Path = PACKS) -> ServiceCatalogue:
    """The pack's services; an empty catalogue when it has no ``services.yaml``.

    Raises:
        PackError: an unknown or repeated skill, a duration that is not a positive whole number of
            minutes, or a condition naming an unknown fact (the file and key are named).
    """
    path = root / pack / "services.yaml"
    if not path.exists():
        return ServiceCatalogue()
    data = read_yaml(path) or {}
    services: list[Service] = []
    for i, raw in enumerate(data.get("services") or []):
        key = f"services[{i}]"
        skill = raw.get("skill") if isinstance(raw, dict) else None
        if skill not in SKILLS or skill in {s.skill for s in services}:
            raise pack_error(path, f"{key}.skill", f"unknown or repeated skill {skill!r}")
        minutes = raw.get("duration_minutes")
        if not isinstance(minutes, int) or minutes <= 0:
            raise pack_error(path, f"{key}.duration_minutes", "must be a whole number above zero")
        services.append(Service(skill, minutes, fact_rule(raw, f"service.{skill}", path, key)))
    invitation = data.get("scheme_invitation")
    rule = None
    if isinstance(invitation, dict):
        rule = fact_rule(invitation, "scheme_invitation", path, "scheme_invitation")
    return ServiceCatalogue(tuple(services), rule)
