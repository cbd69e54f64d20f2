"""Charity projects as data (``<pack>/projects.yaml``), matched to households on the facts of the rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.policy.codes import HOUSEHOLD_FACTS, LATE_FACTS, OUTCOME_FACTS
from backend.policy.errors import pack_error
from backend.policy.regions import PACKS
from backend.policy.rules import MatchRule
from backend.policy.yamlfile import read_yaml

KNOWN_FACTS = frozenset(HOUSEHOLD_FACTS) | frozenset(OUTCOME_FACTS) | frozenset(LATE_FACTS)


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    names: dict[str, str]
    category: str
    sponsor: dict[str, str]
    contact: str
    capacity: int
    rule: MatchRule

    def fits(self, facts: Mapping[str, bool]) -> bool:
        return self.rule.matched(facts) is not None


def fact_rule(raw: Mapping[str, Any], name: str, path: Path, key: str) -> MatchRule:
    """The conditions ``raw`` gives (``when_all``, ``when_any``: at least one) on facts the rules know."""
    when_all, when_any = tuple(raw.get("when_all") or ()), tuple(raw.get("when_any") or ())
    if not when_all and not when_any:
        raise pack_error(path, key, "needs conditions (when_all or when_any)")
    for fact in when_all + when_any:
        if fact not in KNOWN_FACTS:
            raise pack_error(path, f"{key}.when", f"unknown fact {fact!r}")
    return MatchRule(name, when_all, when_any)


def load_projects(pack: str = "demo", root: Path = PACKS) -> tuple[Project, ...]:
    """The pack's projects; none when it has no ``projects.yaml``.

    Raises:
        PackError: a project without an id, names in both languages or a positive capacity, a
            repeated id, or a condition naming an unknown fact (the file and key are named).
    """
    path = root / pack / "projects.yaml"
    if not path.exists():
        return ()
    data = read_yaml(path) or {}
    projects: list[Project] = []
    for i, raw in enumerate(data.get("projects") or []):
        key = f"projects[{i}]"
        pid = raw.get("id") if isinstance(raw, dict) else None
        if not pid or pid in {p.id for p in projects}:
            raise pack_error(path, key, f"missing or repeated id {pid!r}")
        for field in ("name", "sponsor"):
            if not isinstance(raw.get(field), dict) or not {"zh_CN", "en"} <= raw[field].keys():
                raise pack_error(path, f"{key}.{field}", "needs zh_CN and en")
        capacity = raw.get("capacity")
        if not isinstance(capacity, int) or capacity <= 0:
            raise pack_error(path, f"{key}.capacity", "must be a whole number above zero")
        projects.append(Project(
            id=str(pid), names=dict(raw["name"]), category=str(raw.get("category", "")), sponsor=dict(raw["sponsor"]),
            contact=str(raw.get("contact", "")), capacity=capacity,
            rule=fact_rule(raw, f"project.{pid}", path, key),
        ))
    return tuple(projects)


def matching(projects: tuple[Project, ...], facts: Mapping[str, bool]) -> list[Project]:
    return [p for p in projects if p.fits(facts)]
