"""Every message key a flow and the engine can emit, so catalogs can be checked for completeness."""

from __future__ import annotations

from flows.flow import Flow, Loop, Question, Role
from flows.session import FINAL_STATES

# The backend's application statuses as residents see them (flows cannot import the backend;
# a test checks this list against backend.status.ApplicationStatus).
APPLICATION_STATUSES = (
    "submitted",
    "assessed",
    "assigned",
    "under_review",
    "info_requested",
    "home_visit_scheduled",
    "proposed",
    "approved",
    "rejected",
    "appealed",
    "withdrawn",
    "closed",
)

ENGINE_KEYS = frozenset(
    {
        "cancel.confirm",
        "cancel.done",
        "cancel.no",
        "cancel.yes",
        "command.back_unavailable",
        "command.help",
        "command.nothing_in_progress",
        "command.unknown",
        "command.welcome_back",
        "common.done",
        "common.progress",
        "common.human",
        "common.keep",
        "common.skip",
        "common.share_contact",
        "confirm.amount",
        "confirm.yes",
        "confirm.no",
        "channel.button_expired",
        *(f"channel.command.{c}" for c in ("start", "help", "back", "cancel", "language", "status", "human")),
        "documents.kept_early",
        "documents.received",
        "documents.too_large",
        "documents.not_found",
        "documents.before_consent",
        "documents.download_failed",
        "documents.attached",
        "edit.add_member",
        "edit.back",
        "edit.member",
        "edit.member_menu",
        "edit.menu",
        "edit.remove_member",
        "help.offer",
        "human.recorded",
        "human.crisis",
        "submission.failed",
        "submission.retry",
        "command.offers_on",
        "command.offers_off",
        "command.offers_usage",
        "status.list",
        "summary.change",
        "summary.confirm",
        "language.option.zh_CN",
        "language.option.en",
        "region.district",
        "region.office",
        "region.district_office",
        "region.unknown",
        *(f"final.{state}" for state in FINAL_STATES),
        *(f"status.name.{status}" for status in APPLICATION_STATUSES),
    }
)

ERROR_CODES = frozenset(
    {
        "choice.invalid",
        "text.expected",
        "text.empty",
        "text.too_long",
        "files.expected",
        "multi.empty",
        "unsupported",
        "amount.invalid",
        "amount.negative",
        "amount.too_large",
        "count.invalid",
        "count.too_large",
        "count.too_small",
        "age.invalid",
        "age.too_large",
        "id.length",
        "id.checksum",
        "id.birth_date",
        "id.invalid",
        "id.region",
        "id.age_mismatch",
        "id.minor_self",
        "mobile.invalid",
        "name.invalid",
    }
)

FLOW_MESSAGES = ("welcome", "summary", "receipt", "duplicate", "expired", "reminder")
# Messages a flow can emit only when it asks a question with this role.
ROLE_MESSAGES = {Role.CONSENT: ("declined",)}


def _question_keys(prefix: str, q: Question) -> set[str]:
    keys = {f"{prefix}.prompt", f"{prefix}.label"}
    if q.option_labels is None:
        values = q.choices if callable(q.options) else q.options
        keys |= {f"{prefix}.option.{v}" for v in values}
    return keys


def message_keys(flow: Flow) -> set[str]:
    """The keys of ``flow`` plus the engine's own and every error message."""
    keys = set(ENGINE_KEYS) | {f"error.{code}" for code in ERROR_CODES}
    keys |= {f"{flow.name}.{m}" for m in FLOW_MESSAGES}
    keys |= {f"{flow.name}.group.{name}" for name, _ in flow.groups}
    for q in flow.questions().values():
        said = (*q.says, *(ROLE_MESSAGES.get(q.role, ()) if q.role else ()))
        keys |= {f"{flow.name}.{m}" for m in said}
    for item in flow.items:
        if isinstance(item, Loop):
            for q in item.questions:
                keys |= _question_keys(f"{flow.name}.{item.id}.{q.id}", q)
        else:
            keys |= _question_keys(f"{flow.name}.{item.id}", item)
    return keys
