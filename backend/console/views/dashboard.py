"""The dashboard: households by layer, level, type and office; open cases by time left; the intake
funnel; decision times."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from backend.app_keys import PACK
from backend.console.charts import Bar, bars, histogram
from backend.console.common import database_of, messages_of, now_of, office_names, render, scope_of, user_of
from backend.console.dashboard import decision_times, funnel
from backend.console.keys import FUNNEL_STEPS, REVIEW_DAYS
from backend.console.labels import Labels
from backend.console.time_left import time_left
from backend.monitoring import alerts as alert_service
from backend.monitoring.records import AlertQuery
from backend.policy.codes import Layer

FUNNEL_DAYS = 30
DECISION_DAYS = 90


async def dashboard(request: web.Request) -> web.Response:
    messages = messages_of(request)
    t = messages.render
    label = Labels(messages)
    scope = scope_of(request)
    now = now_of(request)
    steps: tuple[str, ...] = request.config_dict.get(FUNNEL_STEPS, ())
    async with database_of(request).unit_of_work() as uow:
        breakdown = await uow.reports.breakdown(scope)
        left = await time_left(uow.reports, scope, now, request.config_dict[PACK])
        since = now - timedelta(days=FUNNEL_DAYS)
        furthest = await uow.reports.furthest_steps("intake", steps, since=since)
        reached = await uow.reports.reached_steps("intake", steps, since=since)
        decided = await uow.reports.decisions(scope, since=now - timedelta(days=DECISION_DAYS))
        _, visits = await alert_service.list_alerts(uow, user_of(request),
                                                    AlertQuery(office=scope.office, visits=True, limit=1), now=now)
    names = office_names(request)
    layers = [Bar(t(f"policy.layer.{layer.value}"), breakdown.by_layer.get(layer.value, 0)) for layer in Layer]
    levels = [Bar(t(f"console.level.{level}"), count) for level, count in sorted(breakdown.by_level.items())]
    types = [Bar(t(f"policy.type.{kind}") if messages.has(f"policy.type.{kind}") else kind, count)
             for kind, count in sorted(breakdown.by_type.items(), key=lambda item: -item[1])]
    offices = [Bar(names.get(code, code), count) for code, count in sorted(breakdown.by_office.items())]
    rows = funnel(furthest, reached, steps)
    funnel_bars = [
        Bar(label.step(row.step), row.reached,
            note=t("console.dashboard.dropped", count=row.dropped) if row.dropped else "",
            emphasis=row.step in ("started", "submitted"))
        for row in rows
    ]
    times = decision_times(decided, review_days=request.config_dict.get(REVIEW_DAYS, 10))
    return render(request, "dashboard.html.j2", {
        "layers": bars(layers, title=t("console.dashboard.by_layer")),
        "levels": bars(levels, title=t("console.dashboard.by_level")),
        "types": bars(types, title=t("console.dashboard.by_type")),
        "office_chart": bars(offices, title=t("console.dashboard.by_office")),
        "funnel": bars(funnel_bars, title=t("console.dashboard.funnel"), width=640),
        "funnel_rows": rows,
        "funnel_days": FUNNEL_DAYS,
        "times": times,
        "times_chart": histogram(times.buckets, title=t("console.dashboard.decision_times"),
                                 limit_label=t("console.dashboard.deadline", days=times.limit_days),
                                 limit_after=times.limit_days),
        "decision_days": DECISION_DAYS,
        "scope": scope,
        "time_left": left,
        "visits": visits,
    })
