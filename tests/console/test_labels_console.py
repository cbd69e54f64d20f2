"""The console speaks in words, in both languages: enum values by their labels, the notes the
system writes as sentences, people by their names; the queue with the applicant and the time
left, usable at phone width."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from backend.cases.lifecycle import CaseStatus
from backend.cases.ports import Role
from backend.console.answers import members
from backend.console.labels import Labels
from backend.console.queue import TimeLeft, time_left
from backend.db.models import ApplicationRow
from backend.ports import EscalationScope
from backend.staff.accounts import set_password
from locales import Translations
from tests.cases.helpers import NOW, add_staff, payload, submit
from tests.console.conftest import PASSWORD, sign_in

CSS = Path(__file__).resolve().parents[2] / "backend" / "console" / "static" / "console.css"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A spouse entered as 只有残疾 with a grade: the application keeps "healthy" and the grade.
SPOUSE = {"relation": "spouse", "age": 44, "id_number": None, "health": "healthy", "disability_grade": 2,
          "work": "unable", "monthly_income": "0"}


@pytest.fixture
async def people(database):
    """A caseworker and a supervisor whose names are not their usernames."""
    for username, role, name in (("chen", Role.CASEWORKER, "陈晓梅"), ("gao", Role.SUPERVISOR, "高建国")):
        await add_staff(database, username, role, "hubin", display_name=name)
        async with database.unit_of_work() as uow:
            await set_password(uow, username, PASSWORD)
            await uow.commit()


def _with_spouse(serial: int, name: str) -> dict:
    data = payload(serial)
    data["applicant"]["name"] = name
    data["members"].append(dict(SPOUSE))
    return data


def _section(html: str, name: str) -> str:
    return html[html.index(f'id="{name}"'):]


def _rows(html: str) -> list[list[str]]:
    """The rows of table cells (header rows left out), each cell's text."""
    rows = [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)]
    return [row for row in rows if row]


@pytest.mark.parametrize("lang, words", [
    ("en", {"self": "刘芳 (Applicant)", "health": "Disability only", "grade": "Disability grade 2", "system": "System",
            "assessed": "Assessed: ",
            "assigned": "Assigned automatically to the caseworker with the fewest open cases"}),
    ("zh_CN", {"self": "刘芳（本人）", "health": "只有残疾", "grade": "残疾二级", "system": "系统",
               "assessed": "评估结果：", "assigned": "自动分派给在办案件最少的社工"}),
])
async def test_a_case_page_shows_labels_sentences_and_names(client, people, database, lang, words):
    number = await submit(database, _with_spouse(1, "刘芳"))
    async with database.unit_of_work() as uow:
        await uow.cases.add_note(number, author="chen", body="已电话联系", at=NOW)
        await uow.commit()
    await sign_in(client, "chen", lang=lang)
    page = await (await client.get(f"/console/cases/{number}")).text()
    head = page[:page.index('id="decision"') if 'id="decision"' in page else page.index('id="actions"')]
    assert "陈晓梅" in head and ">chen<" not in head  # the assignee by name
    member_rows = _rows(_section(page, "answers").split("</table>", 2)[1])
    applicant, spouse = member_rows
    assert applicant[0] == words["self"] and "self" not in applicant  # by name, with the relation
    assert spouse[3:5] == [words["health"], words["grade"]]
    history = _rows(_section(page, "history").split("</table>", 1)[0])
    assert [row[2] for row in history] == [words["system"]] * 3
    assert history[1][3].startswith(words["assessed"]) and "resilience level" not in history[1][3]
    assert history[2][3] == words["assigned"]
    notes = _section(page, "notes").split("</ul>", 1)[0]
    assert "陈晓梅" in notes and "· chen<" not in notes
    # The thread reads the same events: sentences, never the system's codes.
    thread = _section(page, "thread").split("</ol>", 1)[0]
    assert words["assigned"] in thread and "system:" not in thread


def test_notes_written_before_the_codes_read_as_sentences_and_people_by_name():
    en, zh = Translations()("en"), Translations()("zh_CN")
    label = Labels(en, {"cw1": "Wang Li"})
    layer, level = en.render("policy.layer.dibao"), en.render("console.level.1")
    assert label.history_note("layer dibao, resilience level 1, emergency") == (
        f"Assessed: {layer}, resilience {level}, emergency"
    )
    assert label.history_note("system:assessed?layer=dibao&level=1") == f"Assessed: {layer}, resilience {level}"
    assert label.history_note("least-loaded caseworker") == en.render("console.note.least_loaded")
    assert Labels(zh).history_note("emergency: on-duty caseworker") == "急难案件，自动分派给值班社工"
    assert Labels(zh).history_note("layer None, resilience level None").startswith("评估结果：")
    assert label.history_note("请补充收入证明") == "请补充收入证明"  # a person's own words, as written
    assert label.person("cw1") == "Wang Li" and label.person("gone") == "gone"
    assert label.person("resident:239c1e19") == "Resident" and Labels(zh).person("system") == "系统"
    assert label.relation("self") == "Applicant" and Labels(zh).relation("spouse") == "配偶"
    assert label.step("consent") == en.render("intake.consent.label") and label.step("members.work") == en.render(
        "intake.members.work.label")


def test_a_member_disabled_only_is_summarised_as_disabled_only():
    zh = Translations()("zh_CN")
    data = {"members": [{"relation": "self", "age": 50, "health": "chronic", "disability_grade": None,
                         "work": "unemployed", "monthly_income": "0"}, SPOUSE,
                        {**SPOUSE, "relation": "child", "health": "serious", "disability_grade": 1}]}
    rows = members(data, zh, show_ids=False)
    assert [(r["relation"], r["health"], r["disability"]) for r in rows] == [
        ("本人", "慢性病", "没有残疾"), ("配偶", "只有残疾", "残疾二级"), ("子女", "重病、大病", "残疾一级"),
    ]


def test_members_are_listed_by_name_and_relation_where_the_resident_gave_names():
    zh, en = Translations()("zh_CN"), Translations()("en")
    data = {"applicant": {"name": "张三"},
            "members": [{"relation": "self", "age": 50, "health": "healthy", "work": "unemployed"},
                        {**SPOUSE, "name": "王芳"}, {**SPOUSE, "relation": "grandchild", "age": 8}]}
    listed = [r["member"] for r in members(data, zh, show_ids=False)]
    assert listed == ["张三（本人）", "王芳（配偶）", "孙子女/外孙子女"]
    assert [r["member"] for r in members(data, en, show_ids=False)][:2] == ["张三 (Applicant)", "王芳 (Spouse)"]


def test_time_left_counts_days_in_the_office_zone_and_hours_on_the_day():
    assert time_left(None, NOW, zone=SHANGHAI) is None
    assert time_left(NOW + timedelta(days=3), NOW, zone=SHANGHAI) == TimeLeft("due_in_days", 3)
    assert time_left(NOW + timedelta(hours=5), NOW, zone=SHANGHAI) == TimeLeft("due_in_hours", 5)
    # 10:00 in Shanghai; a deadline at 01:00 tomorrow there is tomorrow, not "in 15 hours".
    assert time_left(NOW + timedelta(hours=15), NOW, zone=SHANGHAI) == TimeLeft("due_in_days", 1)
    assert time_left(NOW - timedelta(days=2), NOW, zone=SHANGHAI) == TimeLeft("overdue_days", 2)
    late = time_left(NOW - timedelta(hours=3), NOW, zone=SHANGHAI)
    assert late == TimeLeft("overdue_hours", 3) and late.late


@pytest.mark.parametrize("lang, due, overdue, name", [
    ("en", "due in 3 days", "2 days overdue", "陈晓梅"), ("zh_CN", "3 天后到期", "逾期 2 天", "陈晓梅"),
])
async def test_the_queue_shows_the_applicant_time_left_and_the_assignee_by_name(client, people, database,
                                                                                lang, due, overdue, name):
    soon = await submit(database, _with_spouse(1, "刘芳"), "r1")
    late = await submit(database, _with_spouse(2, "张伟"), "r2")
    none = await submit(database, _with_spouse(3, "王静"), "r3")
    done = await submit(database, _with_spouse(4, "赵敏"), "r4")
    async with database.engine.begin() as connection:
        for number, deadline, status in ((soon, NOW + timedelta(days=3), None), (late, NOW - timedelta(days=2), None),
                                         (none, None, None), (done, NOW - timedelta(days=9), CaseStatus.APPROVED)):
            values = {"deadline_at": deadline} | ({"status": status.value} if status else {})
            await connection.execute(update(ApplicationRow).where(ApplicationRow.number == number).values(**values))
    async with database.unit_of_work() as uow:  # the port: only the numbers asked for, unknown ones left out
        assert await uow.reports.applicant_names([soon, late, "YM00000000000000"]) == {soon: "刘芳", late: "张伟"}
        assert await uow.reports.applicant_names([]) == {}
    await sign_in(client, "chen", lang=lang)
    page = await (await client.get("/console/queue")).text()
    rows = {cells[0].split()[0]: cells for cells in _rows(page.split('<table class="cases">', 1)[1])}
    assert rows[soon][1:3] == ["刘芳", due]
    assert rows[late][1:3] == ["张伟", overdue] and "late" in page.split(f'data-case="{late}"')[1].split("</tr>")[0]
    assert rows[none][1:3] == ["王静", "—"]
    assert rows[done][2] == "—"  # decided: no time left to count
    assert rows[soon][7] == name and ">chen<" not in page


async def test_the_queue_is_usable_at_phone_width(client, people, database):
    """Under the breakpoint the table becomes cards: its head hidden, every cell labelled."""
    css = CSS.read_text()
    phone = css[css.index("@media (max-width: 640px)"):]
    assert "table.cases thead { display: none; }" in phone
    assert "table.cases td[data-label]::before { content: attr(data-label)" in phone
    await submit(database, _with_spouse(1, "刘芳"))
    await sign_in(client, "chen", lang="zh_CN")
    page = await (await client.get("/console/queue")).text()
    assert 'name="viewport" content="width=device-width' in page
    row = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    labelled = re.findall(r'<td[^>]*data-label="([^"]+)"', row)
    assert labelled[:2] == ["申请人", "剩余时限"] and len(labelled) == 8


async def test_a_request_for_a_person_names_its_step_and_who_claimed_it(client, people, database):
    async with database.unit_of_work() as uow:
        who = await uow.residents.identify("terminal", "r9", now=NOW)
        ticket = await uow.escalations.add(who.id, reason="human", step="members.condition", at=NOW, office="hubin")
        user = await uow.users.get("chen")
        assert await uow.escalations.claim(ticket.id, "chen", scope=EscalationScope.of(user), at=NOW)
        await uow.commit()
    await sign_in(client, "chen", lang="zh_CN")
    listed = await (await client.get("/console/escalations/live")).text()
    row = listed.split(f'data-ticket="{ticket.id}"', 1)[1].split("</tr>", 1)[0]
    assert "身体状况" in row and "members.condition" not in row and "(陈晓梅)" in row and "(chen)" not in row
    page = await (await client.get(f"/console/escalations/{ticket.id}")).text()
    assert "<dd>身体状况</dd>" in page and "(陈晓梅)" in page
