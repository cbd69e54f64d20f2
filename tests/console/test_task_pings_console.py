"""A caseworker who creates a task in the console sees, on the case's page, whom it was offered to
and when each ping goes out (within the volunteer's own hours), and later each answer."""

from __future__ import annotations

from tests.cases.helpers import payload, submit
from tests.console.conftest import post_form, sign_in
from tests.volunteers.helpers import volunteer


async def test_the_case_page_shows_when_each_ping_goes_out(client, staff, database):
    number = await submit(database, payload(1), "r1")
    await volunteer(database, "evening", name="晚间志愿者", skills=("companion",), slots=("weekday_evening",))
    await volunteer(database, "weekend", name="周末志愿者", skills=("companion",), slots=("weekend_morning",))
    await sign_in(client, "wang")
    page = f"/console/cases/{number}"
    created = await post_form(client, f"{page}/tasks", page, skill="companion", day="2026-12-02", time="09:30",
                              minutes="90", given_name="张", address="湖滨路 1 号")
    text = await created.text()
    assert "The task is created" in text and "Volunteers asked (when it goes out)" in text
    # It is Sunday morning: the weekend volunteer is asked now, the evening one on Monday at 18:00.
    weekend = text.split("周末志愿者 · ")[1].split("</div>")[0]
    evening = text.split("晚间志愿者 · ")[1].split("</div>")[0]
    assert weekend.endswith("sent, waiting for an answer") and "Nov 29, 2026" in weekend
    assert evening.endswith("goes out within their hours") and "Nov 30, 2026" in evening and "6:00" in evening
