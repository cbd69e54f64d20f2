"""An assessment as plain sentences in the resident's language, from the ``policy.*`` messages.

Every trace entry has one sentence, rendered from ``policy.rule.<rule id>`` (or a shared
message for layers, assistance and services) with the rule's inputs, its ``outcome`` and ``p``,
the parameters it used (``p.dibao_standard.value``, ``.since``, ``.source``). Amounts go
through the ``money`` filter and dates through ``date``, so both follow the locale.
"""

from __future__ import annotations

from backend.policy.outcome import Assessment, RuleEvaluation
from backend.policy.parameters import ParameterValue
from backend.policy.regions import RegionTree
from locales import Messages

# Rules whose id has a variable part share one message; the part becomes a parameter.
_SHARED = (("layer.", "policy.rule.layer", "layer"), ("assistance.", "policy.rule.assistance", "code"),
           ("service.", "policy.rule.service", "id"))


def rule_message(entry: RuleEvaluation) -> tuple[str, dict[str, object]]:
    """The message key of a trace entry and the parameters to render it with."""
    params: dict[str, object] = {**entry.inputs, "outcome": entry.outcome, "p": entry.parameters}
    rule = str(entry.rule)
    if rule == "layer":
        params["layer"] = str(entry.outcome)
        return "policy.rule.layer_result", params
    for prefix, key, name in _SHARED:
        if rule.startswith(prefix):
            params[name] = rule[len(prefix):]
            return key, params
    return f"policy.rule.{rule}", params


def explain_rule(entry: RuleEvaluation, messages: Messages) -> str:
    """One trace entry as a sentence."""
    key, params = rule_message(entry)
    return messages.render(key, **params)


def summary(assessment: Assessment, messages: Messages, regions: RegionTree | None = None) -> list[str]:
    """The result in a few sentences: layer, types, help, benefit, resilience, why not more, how to appeal."""
    by_rule = {str(e.rule): e for e in assessment.trace}
    hours = by_rule["emergency"].parameters["emergency_deadline_hours"].value
    r = assessment.resilience
    lines = [
        messages.render("policy.summary.layer", layer=assessment.layer),
        messages.render("policy.summary.types", types=assessment.types),
        messages.render("policy.summary.assistance", assistance=assessment.assistance),
        messages.render("policy.summary.services", services=assessment.services),
        messages.render("policy.summary.emergency", emergency=assessment.emergency, hours=hours),
        messages.render("policy.summary.benefit", amount=assessment.benefit_estimate),
        messages.render("policy.summary.resilience", total=r.total, level=r.level),
    ]
    for refusal in assessment.refusals:
        needs = by_rule[f"layer.{refusal.layer}"].inputs["needs"]
        lines.append(messages.render("policy.summary.not_eligible", layer=refusal.layer, needs=needs,
                                     failed=refusal.failed))
    if assessment.layer == "none":
        lines.append(
            messages.render("policy.summary.may_fit", assistance=assessment.assistance, services=assessment.services)
        )
    office = regions.office(assessment.office) if regions and assessment.office else None
    lines.append(messages.render("policy.summary.review", office=office.names if office else None))
    return lines


def parameters_used(assessment: Assessment, messages: Messages) -> list[str]:
    """Each parameter the trace used, once, with its value, start date and source."""
    seen: dict[str, ParameterValue] = {}
    for entry in assessment.trace:
        for name, value in entry.parameters.items():
            seen.setdefault(name, value)
    return [
        messages.render("policy.summary.parameter", name=name, value=v.value, since=v.since, source=v.source)
        for name, v in seen.items()
    ]


def explain(assessment: Assessment, messages: Messages, regions: RegionTree | None = None) -> list[str]:
    """The whole assessment as lines: the result, then every rule evaluated, then the parameters used.

    Args:
        assessment: what :func:`backend.policy.assess.assess` returned.
        messages: the reader's locale, e.g. ``Translations()("en")``.
        regions: the pack's region tree, to name the street office in the review advice.
    """
    lines = [messages.render("policy.heading.result")]
    lines += [f"- {line}" for line in summary(assessment, messages, regions)]
    lines.append("")
    lines.append(messages.render("policy.heading.trace"))
    lines += [f"- {explain_rule(entry, messages)}" for entry in assessment.trace]
    lines.append("")
    lines.append(messages.render("policy.heading.parameters"))
    lines += [f"- {line}" for line in parameters_used(assessment, messages)]
    return lines
