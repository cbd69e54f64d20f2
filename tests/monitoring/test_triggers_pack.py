"""triggers.yaml is checked at load like the rest of a pack: the first problem names its file and key."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from backend.monitoring.triggers import evaluate
from backend.policy.errors import PackError
from backend.policy.pack import load_pack
from backend.policy.regions import PACKS
from backend.policy.triggers import ROLES, TriggerTest
from tests.monitoring.seed import NOW, add_events, add_household, event, history, household, member, pending


def _pack(tmp_path: Path, triggers: object | None, *, drop_parameter: str | None = None) -> Path:
    root = tmp_path / "packs"
    shutil.copytree(PACKS / "demo", root / "demo")
    path = root / "demo" / "triggers.yaml"
    if triggers is None:
        path.unlink()
    else:
        path.write_text(yaml.safe_dump(triggers, allow_unicode=True), encoding="utf-8")
    if drop_parameter:
        parameters = root / "demo" / "parameters.yaml"
        data = yaml.safe_load(parameters.read_text(encoding="utf-8"))
        del data[drop_parameter]
        parameters.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


def _rule(**overrides: object) -> dict:
    return {"id": "loss", "test": "disaster_loss", "parameters": {"amount": "trigger_disaster_amount"}, **overrides}


def test_the_demo_pack_has_a_rule_for_every_test() -> None:
    pack = load_pack("demo")
    assert {rule.test for rule in pack.triggers.rules} == set(TriggerTest)
    for rule in pack.triggers.rules:
        assert set(rule.parameters) == set(ROLES[rule.test])


@pytest.mark.parametrize(
    ("triggers", "where", "message"),
    [
        ([_rule(test="flood")], "triggers[0].test", "unknown test 'flood'"),
        ([_rule(parameters={})], "triggers[0].parameters.amount", "needs a parameter for amount"),
        ([_rule(parameters={"amount": "trigger_disaster_amount", "days": "trigger_medical_days"})],
         "triggers[0].parameters.days", "has no role 'days'"),
        ([_rule(parameters={"amount": "no_such_parameter"})], "triggers[0].parameters.amount",
         "unknown parameter 'no_such_parameter'"),
        ([_rule(parameters={"amount": "certificate_milestones_hours"})], "triggers[0].parameters.amount",
         "is a list of numbers"),
        ([_rule(), _rule()], "triggers[1].id", "'loss' is given twice"),
        ([_rule(id="Loss!")], "triggers[0].id", "is not an id"),
        ([_rule(when="always")], "triggers[0].when", "unknown key"),
        ({"triggers": [_rule()], "alerts": {}}, "alerts", "unknown key"),
        ({"rules": []}, "rules", "unknown key"),
    ],
)
def test_a_bad_trigger_file_names_the_file_and_the_key(tmp_path: Path, triggers: object, where: str,
                                                       message: str) -> None:
    data = {"triggers": triggers} if isinstance(triggers, list) else triggers
    root = _pack(tmp_path, data)
    with pytest.raises(PackError, match=re.escape(f"triggers.yaml: {where}: ") + ".*" + re.escape(message)):
        load_pack("demo", root)


def test_triggers_need_the_alert_parameters(tmp_path: Path) -> None:
    root = _pack(tmp_path, {"triggers": [_rule()]}, drop_parameter="alert_deadline_hours")
    with pytest.raises(PackError, match=r"parameters\.yaml: alert_deadline_hours: missing parameter"):
        load_pack("demo", root)


async def test_a_pack_without_triggers_evaluates_nothing_but_marks_the_events(tmp_path: Path, database) -> None:
    pack = load_pack("demo", _pack(tmp_path, None))
    assert not pack.triggers
    seeded = await add_household(database, household(member("self", 45, income="3500")))
    await add_events(database, [event(seeded.person(), seeded.id, "death")])
    summary = await evaluate(database, pack, now=NOW)
    assert (summary.events, summary.fired) == (1, 0)
    assert await pending(database) == 0
    assert [c for _, _, c in await history(database, seeded.id)] == ["import"]
