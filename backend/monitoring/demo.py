"""A synthetic city for trying monitoring out: a registry file and a data file per department.

``yimen demo-data --persons N --seed S`` writes ``registry.csv`` and ``feeds/<source>.csv`` (or
``.jsonl``). Everything comes from one seeded generator, so the same arguments always write the
same bytes. ID numbers have right check digits and birth dates that match the ages; their
region codes are real ones (stdnum checks them) and the serials are drawn so no two persons
share a number. Each file also holds a few rows that are wrong on purpose (see ``docs/feeds.md``).

Only ``random()`` is drawn from the generator (no ``choice`` or ``randrange``), because its
sequence for a seed is the one thing Python keeps the same across versions.
"""

from __future__ import annotations

import json
import math
import random
from array import array
from bisect import bisect
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import IO

from stdnum.cn import ric

from backend.monitoring import vocabulary
from backend.monitoring.registry import COLUMNS

DEMO_DAY = date(2026, 11, 30)

# Region codes of birth registration (延边 and Jilin cities, valid in every year since 1900).
_REGION_CODES = ("222401", "222402", "222424", "222426", "220100", "220200")
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅鑫波斌宇浩凯健俊帆帅旭宁"
    "龙林欣佳雪婷倩颖琳晶晨阳冬梅凤春兰秋菊建国建华志强志明海燕德福淑珍"
)
_GROUPS = ("dibao", "tekun", "relapse_watch", "near_dibao", "rigid_expense", "elderly", "child", "sick", "disabled")
_GROUP_WEIGHTS = (24, 4, 14, 14, 10, 14, 6, 10, 4)
_SIZE_WEIGHTS = (25, 30, 22, 15, 8)  # 1 to 5 persons: 2.5 on average
_HOUSING = ("own", "renting", "unsafe", "none")
_REGISTERED = frozenset(_GROUPS[:5])
# Out of every 1,000 feed rows, this many name someone outside the registry.
_UNKNOWN_PER_MILLE = 20
# Rows per person for each source (medical: one per person, the largest file), and kinds' shares.
_FEEDS: dict[str, tuple[float, tuple[tuple[str, int], ...]]] = {
    "medical": (1.0, ((vocabulary.OUT_OF_POCKET, 1),)),
    "public_security": (0.015, ((vocabulary.DEATH, 1), (vocabulary.REGISTRATION_CHANGE, 2))),
    "disability": (0.02, ((vocabulary.DISABILITY_ASSESSED, 1),)),
    "hr": (0.05, ((vocabulary.UNEMPLOYED, 3), (vocabulary.EMPLOYED, 2))),
    "education": (0.03, ((vocabulary.ENROLLED, 1), (vocabulary.LEFT_SCHOOL, 1))),
    "emergency": (0.01, ((vocabulary.DISASTER_LOSS, 1),)),
    "civil_affairs": (0.03, ((vocabulary.ASSISTANCE_EXIT, 3), (vocabulary.INCOME_CHANGE, 7))),
}
_PREFIX = {
    "medical": "MED", "public_security": "PSB", "disability": "DPF", "hr": "HRS", "education": "EDU",
    "emergency": "EMG", "civil_affairs": "CAB",
}
FEED_FIELDS = ("record_id", "id_number", "kind", "occurred_on", "amount", "grade")
# Rows wrong on purpose, in every feed file, spread through it.
BAD_FEED_ROWS = ("bad_check_digit", "bad_date", "bad_value", "wrong_shape", "duplicate")
BAD_REGISTRY_ROWS = ("bad_check_digit", "unknown_office", "bad_amount", "unknown_category", "wrong_column_count")


def _pick(weights: Sequence[int]) -> Callable[[float], int]:
    """An index drawn with these weights from a uniform number in [0, 1)."""
    total = sum(weights)
    bounds = [sum(weights[: i + 1]) / total for i in range(len(weights) - 1)]
    return lambda u: bisect(bounds, u)


_housing_of = _pick((70, 20, 5, 5))


class _City:
    """The generator's state: the draws, the serials used, and every person made so far."""

    def __init__(self, seed: int, as_of: date, offices: Sequence[str]) -> None:
        self.rng = random.Random(seed)
        self.draw = self.rng.random
        self.as_of = as_of
        self.today = as_of.toordinal()
        self.offices = tuple(offices)
        self.serials: dict[int, int] = {}  # by region and birth day
        self.days: dict[int, str] = {}
        self.iso_days: dict[int, str] = {}
        self.ids: list[str] = []
        self.ages = array("H")

    def between(self, low: int, high: int) -> int:
        """A whole number from ``low`` to ``high``, both included."""
        return low + int(self.draw() * (high - low + 1))

    def yyyymmdd(self, ordinal: int) -> str:
        text = self.days.get(ordinal)
        if text is None:
            text = self.days[ordinal] = date.fromordinal(ordinal).strftime("%Y%m%d")
        return text

    def iso(self, ordinal: int) -> str:
        text = self.iso_days.get(ordinal)
        if text is None:
            text = self.iso_days[ordinal] = date.fromordinal(ordinal).isoformat()
        return text

    def id_number(self, age: int) -> str:
        """A new, unique ID number of someone ``age`` years old on the day."""
        born = self.today - 1 - int((age + self.draw()) * 365.2425)  # born yesterday at the latest
        region = int(self.draw() * len(_REGION_CODES))
        key = born * 8 + region
        serial = self.serials.get(key, 0) + 1
        if serial > 999:  # that day's serials are used up there; the day after has its own
            return self.id_number(age)
        self.serials[key] = serial
        body = f"{_REGION_CODES[region]}{self.yyyymmdd(born)}{serial:03d}"
        return body + ric.calc_check_digit(body + "0")

    def name(self) -> str:
        given = _GIVEN[int(self.draw() * len(_GIVEN))]
        if self.draw() < 0.6:
            given += _GIVEN[int(self.draw() * len(_GIVEN))]
        return _SURNAMES[int(self.draw() * len(_SURNAMES))] + given


def generate(
    out: Path, *, persons: int, seed: int, as_of: date = DEMO_DAY, feed_format: str = "csv",
    offices: Sequence[str] | None = None,
) -> dict[Path, int]:
    """Write the demo city into ``out``; returns each file written and its number of rows."""
    if offices is None:
        from backend.policy.regions import load_regions

        offices = [o.code for d in load_regions("demo").districts for o in d.offices]
    if feed_format not in ("csv", "jsonl"):
        raise ValueError(f"unknown feed format {feed_format!r}")
    city = _City(seed, as_of, offices)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[Path, int] = {}
    path = out / "registry.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        written[path] = _write_registry(city, handle, persons)
    (out / "feeds").mkdir(exist_ok=True)
    for source in vocabulary.SOURCES:
        path = out / "feeds" / f"{source}.{feed_format}"
        with path.open("w", encoding="utf-8", newline="") as handle:
            written[path] = _write_feed(city, handle, source, feed_format)
    return written


# -------------------------------------------------------------------------------- registry


def _write_registry(city: _City, handle: IO[str], persons: int) -> int:
    draw = city.draw
    group_of, size_of = _pick(_GROUP_WEIGHTS), _pick(_SIZE_WEIGHTS)
    offices = city.offices
    expected_households = max(1, round(persons / 2.5))
    bad_every = max(1, expected_households // (len(BAD_REGISTRY_ROWS) + 1))
    bad_left = list(BAD_REGISTRY_ROWS)
    lines: list[str] = [",".join(COLUMNS)]
    write = handle.write
    made = households = rows = 0
    while made < persons:
        households += 1
        code = f"DEMO{households:07d}"
        office = offices[int(draw() * len(offices))]
        group = _GROUPS[group_of(draw())]
        size = min(size_of(draw()) + 1, persons - made)
        members = _household(city, group, size)
        lines.extend(_registry_lines(city, code, office, group, members))
        made += size
        rows += size
        if households % bad_every == 0 and bad_left:
            lines.append(_bad_registry_line(city, bad_left.pop(0), households, office))
            rows += 1
        if len(lines) >= 4096:
            write("\n".join(lines) + "\n")
            lines.clear()
    while bad_left:  # a city too small to spread them: at the end
        lines.append(_bad_registry_line(city, bad_left.pop(0), households, offices[0]))
        rows += 1
    write("\n".join(lines) + "\n")
    return rows


# A member: relation, age, health, disability grade ("" for none), work, monthly income.
_Member = tuple[str, int, str, str, str, int]


def _household(city: _City, group: str, size: int) -> list[_Member]:
    draw, between = city.draw, city.between
    if group in ("elderly", "tekun"):
        head_age = between(60, 92)
    elif group == "child":
        head_age = between(52, 75)  # grandparents raising grandchildren
    else:
        head_age = between(24, 78)
    members: list[_Member] = [_member(city, group, "self", head_age, head=True)]
    for index in range(1, size):
        if group == "child":
            relation, age = "grandchild", between(2, 15)
        elif index == 1 and draw() < 0.65:
            relation, age = "spouse", max(18, head_age + between(-6, 6))
        elif head_age >= 50 and draw() < 0.4:
            relation, age = "grandchild", between(0, 17)
        elif head_age <= 55 and draw() < 0.2:
            relation, age = "parent", min(105, head_age + between(22, 34))
        else:
            relation, age = "child", max(0, head_age - between(20, 36))
        members.append(_member(city, group, relation, age, head=False))
    return members


def _member(city: _City, group: str, relation: str, age: int, *, head: bool) -> _Member:
    draw, between = city.draw, city.between
    u = draw()
    if head and group == "sick":
        health = "serious" if u < 0.4 else "chronic"
    elif age >= 60:
        health = "healthy" if u < 0.4 else "chronic" if u < 0.85 else "serious"
    else:
        health = "healthy" if u < 0.75 else "chronic" if u < 0.95 else "serious"
    grade = ""
    if (head and group == "disabled") or draw() < 0.05:
        grade = str(between(1, 4))
    if age < 6:
        work = "child"
    elif age < 16:
        work = "student"
    elif age < 19:
        work = "student" if draw() < 0.8 else "employed"
    elif age >= 60:
        work = "retired"
    elif health == "serious" or grade in ("1", "2"):
        work = "unable"
    else:
        work = "employed" if draw() < 0.6 else "unemployed"
    income = 0
    if work == "employed":
        if group in ("dibao", "tekun"):
            income = between(200, 1200)
        elif group in ("near_dibao", "relapse_watch", "rigid_expense"):
            income = between(800, 2600)
        else:
            income = between(1500, 5200)
    return relation, age, health, grade, work, income


def _registry_lines(city: _City, code: str, office: str, group: str, members: list[_Member]) -> list[str]:
    draw, between = city.draw, city.between
    registered = group in _REGISTERED
    earner_at = max(range(len(members)), key=lambda i: members[i][5]) if any(m[5] for m in members) else -1
    lines = []
    for index, (relation, age, health, grade, work, income) in enumerate(members):
        id_number = city.id_number(age)
        city.ids.append(id_number)
        city.ages.append(age)
        if registered:
            category = group
        elif age >= 60:
            category = "elderly"
        elif age < 16:
            category = "child"
        elif grade:
            category = "disabled"
        elif health != "healthy":
            category = "sick"
        else:
            category = group
        person = (
            f"{code},{office},{id_number},{city.name()},{relation},{category},{int(index == earner_at)},"
            f"{health},{grade},{work},{income}"
        )
        if index:
            lines.append(person + ",,,,,,,,,,,,,")
            continue
        housing_draw = draw()
        housing = _HOUSING[_housing_of(housing_draw)]
        rent = between(300, 1200) if housing == "renting" else ""
        savings = between(0, 40) * 500 if registered else between(0, 120) * 500
        pension = between(800, 2600) if work == "retired" and draw() < 0.7 else 0
        support = between(100, 600) if draw() < 0.15 else 0
        sick = [m for m in members if m[2] != "healthy" or m[3]]
        medical = between(3, 60) * 1000 if sick and draw() < 0.5 else between(0, 20) * 100
        students = [m for m in members if m[4] == "student"]
        education = between(1, 8) * 1000 if students else 0
        hardship = [
            kind for kind, present in (
                ("illness", any(m[2] == "serious" for m in members)),
                ("disability", any(m[3] for m in members)),
                ("unemployment", any(m[4] == "unemployed" for m in members)),
                ("schooling", bool(students) and registered),
                ("elderly_care", any(m[1] >= 80 for m in members)),
            ) if present
        ]
        homes = 1 if housing == "own" else 0
        vehicles = 1 if not registered and draw() < 0.08 else 0
        lines.append(
            f"{person},{savings},{vehicles},{homes},{housing},{rent},{pension},{support},0,0,{medical},{education},"
            f"{';'.join(hardship)},0"
        )
    return lines


def _bad_registry_line(city: _City, kind: str, number: int, office: str) -> str:
    """A one-person household wrong in one way (never a real person of the city)."""
    id_number = city.id_number(city.between(20, 70))
    code = f"DEMOBAD{number:07d}"
    category, income = "dibao", "600"
    if kind == "bad_check_digit":
        id_number = id_number[:17] + ("0" if id_number[17] != "0" else "1")
    elif kind == "unknown_office":
        office = "nowhere"
    elif kind == "bad_amount":
        income = '"1,200"'
    elif kind == "unknown_category":
        category = "vip"
    line = (
        f"{code},{office},{id_number},{city.name()},self,{category},1,healthy,,employed,{income},"
        "0,0,1,own,,0,0,0,0,0,0,,0"
    )
    return line + ",extra" if kind == "wrong_column_count" else line


# ------------------------------------------------------------------------------------ feeds


def _write_feed(city: _City, handle: IO[str], source: str, feed_format: str) -> int:
    draw, between = city.draw, city.between
    rate, kinds = _FEEDS[source]
    kind_of = _pick([weight for _, weight in kinds])
    needs = vocabulary.SOURCES[source]
    count = max(2 * len(kinds) + len(BAD_FEED_ROWS), round(len(city.ids) * rate))
    bad_every = max(1, count // (len(BAD_FEED_ROWS) + 1))
    bad_left = list(BAD_FEED_ROWS)
    prefix = _PREFIX[source]
    ids, ages = city.ids, city.ages
    population = len(ids)
    pupils = [n for n, age in enumerate(ages) if 6 <= age <= 18] if source == "education" else []
    render = _csv_row if feed_format == "csv" else _json_row
    lines = [",".join(FEED_FIELDS)] if feed_format == "csv" else []
    previous: tuple[str, ...] | None = None
    write = handle.write
    rows = 0
    for number in range(1, count + 1):
        kind = kinds[kind_of(draw())][0]
        if population and draw() * 1000 >= _UNKNOWN_PER_MILLE:
            person = int(draw() * population)
            if kind in (vocabulary.ENROLLED, vocabulary.LEFT_SCHOOL) and not 6 <= ages[person] <= 18 and pupils:
                # Schools name pupils: a baby "leaving school" would raise an alert nobody could
                # explain. (One draw either way, so the rest of the feed stays as it was.)
                person = pupils[int(draw() * len(pupils))]
            id_number = ids[person]
        else:
            id_number = city.id_number(between(0, 90))
        amount, grade = _value(city, needs[kind].value)
        occurred = city.iso(city.today - int(draw() * 365))
        row = (f"{prefix}{number:09d}", id_number, kind, occurred, amount, grade)
        lines.append(render(row))
        rows += 1
        if number % bad_every == 0 and bad_left:
            lines.append(_bad_feed_line(city, bad_left.pop(0), row, previous, source, feed_format))
            rows += 1
        previous = row
        if len(lines) >= 4096:
            write("\n".join(lines) + "\n")
            lines.clear()
    write("\n".join(lines) + "\n")
    return rows


def _value(city: _City, needs: str) -> tuple[str, str]:
    """The amount and grade of a row, as text ("" when the kind has none)."""
    if needs == "amount":
        # Out-of-pocket spending and losses: most small, a long tail of large ones.
        amount = min(500_000.0, math.exp(6.5 + 1.3 * _normal(city)))
        return f"{max(amount, 1.0):.2f}", ""
    if needs == "amount_or_zero":
        return f"{city.between(0, 40) * 100}.00", ""
    if needs == "grade":
        return "", str(city.between(1, 4))
    return "", ""


def _normal(city: _City) -> float:
    """A standard normal draw (Box–Muller) from two uniform ones."""
    return math.sqrt(-2.0 * math.log(1.0 - city.draw())) * math.cos(2.0 * math.pi * city.draw())


def _csv_row(row: tuple[str, ...]) -> str:
    return ",".join(row)


def _json_row(row: tuple[str, ...]) -> str:
    record_id, id_number, kind, occurred, amount, grade = row
    value: dict[str, object] = {"record_id": record_id, "id_number": id_number, "kind": kind, "occurred_on": occurred}
    if amount:
        value["amount"] = float(amount) if "." in amount else int(amount)
    if grade:
        value["grade"] = int(grade)
    return json.dumps(value, ensure_ascii=False)


def _bad_feed_line(
    city: _City, kind: str, row: tuple[str, ...], previous: tuple[str, ...] | None, source: str, feed_format: str
) -> str:
    """A row wrong in one way, made from the row just written (its record id gets a suffix)."""
    record_id, id_number, row_kind, occurred, amount, grade = row
    render = _csv_row if feed_format == "csv" else _json_row
    record_id += f"-{kind.upper()}"
    if kind == "bad_check_digit":
        id_number = id_number[:17] + ("0" if id_number[17] != "0" else "1")
    elif kind == "bad_date":
        occurred = f"{city.as_of.year - 1}-02-30"
    elif kind == "bad_value":
        if amount:
            amount = "-" + amount
        elif grade:
            grade = "5"
        else:
            row_kind = "unknown_kind"
    elif kind == "wrong_shape":
        if feed_format == "csv":
            return render((record_id, id_number, row_kind, occurred, amount, grade)) + ",extra"
        return json.dumps([record_id, row_kind, occurred])
    elif kind == "duplicate":
        return render(previous or row)  # the same record again: a duplicate, not an error
    if feed_format == "jsonl" and amount.startswith("-"):
        value = json.loads(render((record_id, id_number, row_kind, occurred, amount[1:], grade)))
        value["amount"] = -value["amount"]
        return json.dumps(value, ensure_ascii=False)
    return render((record_id, id_number, row_kind, occurred, amount, grade))
