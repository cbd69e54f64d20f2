"""The queue: the scope's cases, most urgent first, then oldest; filters with their counts."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from backend.app_keys import CASES, PACK
from backend.bounds import INTEGER_MAX, integer
from backend.cases.lifecycle import OPEN, CaseStatus
from backend.cases.ports import CaseQuery
from backend.console.common import database_of, messages_of, now_of, render, scope_of, user_of
from backend.console.queue import facets, page_href, parse_filters, time_left

PAGE_SIZE = 50
# The last page whose offset the database's INTEGER can hold.
LAST_PAGE = INTEGER_MAX // PAGE_SIZE
KEPT = ("layer", "level", "status", "emergency", "overdue", "mine", "office")


def levels_of(request: web.Request) -> list[int]:
    return [level for level, _ in request.config_dict[PACK].resilience.levels]


async def queue(request: web.Request) -> web.Response:
    user = user_of(request)
    scope = scope_of(request)
    now = now_of(request)
    levels = levels_of(request)
    filters = parse_filters(request.query, levels=levels, me=user.id)
    page = _page(request)
    query = CaseQuery(
        office=scope.office,
        layer=filters.layer,
        resilience_level=filters.level,
        status=CaseStatus(filters.status) if filters.status else None,
        emergency=filters.emergency,
        overdue=filters.overdue,
        assigned_to=user.username if filters.assigned_to is not None else None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        documents=False,
    )
    async with database_of(request).unit_of_work() as uow:
        cases, total = await request.config_dict[CASES].list(uow, user, query, now=now)
        cells = await uow.reports.queue_cells(scope, filters, now=now)
        # The page's cases whose resident wrote since a caseworker last opened them: one indexed look-up.
        replied = await uow.threads.unread([c.number for c in cases])
        names = await uow.reports.applicant_names([c.number for c in cases])
        people = {u.username: u.display_name for u in await uow.users.list(scope.office)}
    zone = messages_of(request).zone
    base = {k: request.query.get(k, "") for k in KEPT}
    pages = max(1, -(-total // PAGE_SIZE))
    return render(request, "queue.html.j2", {
        "cases": cases,
        "replied": replied,
        "names": names,
        "people": people,
        # Time left only while the case is open: a decided case has no deadline to meet.
        "left": {c.number: time_left(c.deadline_at, now, zone=zone) for c in cases if c.status in OPEN},
        "total": total,
        "facets": facets(cells, filters, base, levels=levels),
        "mine": filters.assigned_to is not None,
        "mine_href": _toggle_mine(base),
        "page": page,
        "pages": pages,
        "prev_href": page_href(base, page - 1) if page > 1 else None,
        "next_href": page_href(base, page + 1) if page < pages else None,
        "now": now,
        "open": OPEN,
        "scope": scope,
        "chosen_office": base["office"],
    })


def _page(request: web.Request) -> int:
    """The page asked for; a page that is no number or beyond any the database can hold is a 400."""
    raw = request.query.get("page", "")
    if not raw:
        return 1
    page = integer(raw, low=1, high=LAST_PAGE)
    if page is None:
        raise web.HTTPBadRequest()
    return page


def _toggle_mine(base: dict[str, str]) -> str:
    query = {k: v for k, v in base.items() if v and k not in ("mine", "page")}
    if base.get("mine") != "1":
        query["mine"] = "1"
    return "/console/queue" + (f"?{urlencode(query)}" if query else "")
