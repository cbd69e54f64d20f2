"""Charity projects: matched on the rules' facts, offered once, accepted within capacity."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from backend.cases.offers import answer_offer, offer_projects
from backend.policy.assess import assess
from backend.policy.errors import PackError
from backend.policy.household import Household
from backend.policy.projects import load_projects
from tests.cases.helpers import NOW, PACK, payload

PROJECTS = load_projects("demo")


def household(**changes):
    data = payload(1)
    data.update(changes)
    return Household.model_validate({k: v for k, v in data.items() if k in Household.model_fields})


def test_projects_match_on_the_facts_of_the_rules():
    elder = household(members=[{"relation": "self", "age": 78, "health": "chronic", "work": "retired"}])
    ids = [p.id for p in PROJECTS if p.fits(assess(elder, NOW.date(), PACK).facts)]
    assert ids == ["elder_meals"]
    adult = assess(household(), NOW.date(), PACK)
    assert [p.id for p in PROJECTS if p.fits(adult.facts)] == []


def test_a_project_naming_an_unknown_fact_fails_to_load(tmp_path: Path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "projects.yaml").write_text(
        "projects:\n  - id: p\n    name: {zh_CN: 项目, en: P}\n    sponsor: {zh_CN: 某, en: S}\n"
        "    capacity: 1\n    when_any: [rich_uncle]\n", encoding="utf-8")
    with pytest.raises(PackError, match=r"projects.yaml: projects\[0\].when: unknown fact 'rich_uncle'"):
        load_projects("x", tmp_path)


async def residents(database, count):
    async with database.unit_of_work() as uow:
        ids = [(await uow.residents.identify("telegram", str(n), now=NOW)).id for n in range(count)]
        await uow.commit()
    return ids


async def test_an_offer_is_made_once_and_accepted_within_capacity_even_at_once(database):
    small = tuple(dataclasses.replace(p, capacity=2) if p.id == "elder_meals" else p for p in PROJECTS)
    elder = assess(household(members=[{"relation": "self", "age": 78, "health": "healthy", "work": "retired"}]),
                   NOW.date(), PACK)
    people = await residents(database, 3)
    offers = {}
    async with database.unit_of_work() as uow:
        for who in people:
            assert await offer_projects(uow, small, elder, resident_id=who, number="YM1", now=NOW) == ["elder_meals"]
            assert await offer_projects(uow, small, elder, resident_id=who, number="YM2", now=NOW) == []  # never again
        await uow.commit()
        for who in people:
            (offers[who],) = [o.id for o in await uow.offers.open_for(who, now=NOW)]
            # Nothing is sent for an offer on its own: the digest after an assessment lists them.
            assert await uow.notifications.for_resident(who) == []

    async def accept(who):
        async with database.unit_of_work() as uow:
            answer = await answer_offer(uow, small, resident_id=who, offer_id=offers[who], accepted=True, now=NOW)
            await uow.commit()
        return answer.key

    answers = await asyncio.gather(*(accept(who) for who in people))
    assert sorted(answers) == ["offer.accepted", "offer.accepted", "offer.full"]
    async with database.unit_of_work() as uow:
        assert len(await uow.offers.taken("project", "elder_meals")) == 2
        # Someone else's offer, or an answered one, changes nothing.
        assert await answer_offer(uow, small, resident_id=people[0], offer_id=offers[people[1]], accepted=False,
                                  now=NOW) is None
        again = await answer_offer(uow, small, resident_id=people[0], offer_id=offers[people[0]], accepted=False,
                                   now=NOW)
        assert again.key == "offer.answered"


async def test_nothing_is_offered_after_offers_off(database):
    elder = assess(household(members=[{"relation": "self", "age": 78, "health": "healthy", "work": "retired"}]),
                   NOW.date(), PACK)
    (who,) = await residents(database, 1)
    async with database.unit_of_work() as uow:
        await uow.residents.set_offers(who, False)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await offer_projects(uow, PROJECTS, elder, resident_id=who, number="YM1", now=NOW) == []
        await uow.residents.set_offers(who, True)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await offer_projects(uow, PROJECTS, elder, resident_id=who, number="YM1", now=NOW) == ["elder_meals"]
