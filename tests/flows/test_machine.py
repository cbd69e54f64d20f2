"""The flow's machine: built once, agrees with the diagram kept beside the flow."""

from __future__ import annotations

import transitions

from flows import events as ev
from flows.diagrams import DIAGRAMS
from flows.intake import INTAKE
from flows.machine import build_machine, flow_edges, machine_edges, mermaid, parse_mermaid
from tests.flows.helpers import NOW, demo_engine


def test_the_diagram_beside_each_flow_matches_the_flow():
    for flow, path in DIAGRAMS:
        drawn = parse_mermaid(path.read_text(encoding="utf-8"))
        assert drawn == machine_edges(build_machine(flow)), f"{path} is stale: run `yimen flows diagram`"


def test_parse_mermaid_reads_back_what_mermaid_writes():
    assert parse_mermaid(mermaid(INTAKE)) == flow_edges(INTAKE)


def test_a_changed_flow_no_longer_matches_the_diagram():
    edges = parse_mermaid(DIAGRAMS[0][1].read_text(encoding="utf-8"))
    edges.discard(("consent", "answer", "for_whom"))
    assert edges != machine_edges(build_machine(INTAKE))


def test_steps_build_no_machine(monkeypatch):
    engine = demo_engine()
    built = []
    original = transitions.Machine.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(transitions.Machine, "__init__", counting)
    session = engine.new_session(NOW, "en")
    for event in (ev.Command("start"), ev.Choice("self"), ev.Text("张三")):
        session, _ = engine.step(session, event, NOW)
    assert session.state == "id_number"
    assert built == []
