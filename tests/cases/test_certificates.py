"""Honour certificates: drawn in the volunteer's language, given at milestones, once each."""

from __future__ import annotations

import asyncio
import shutil
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from backend.points.certificates import (
    award_certificates,
    certificate_filename,
    certificate_serial,
    milestones_crossed,
    render_certificate,
)
from backend.policy.pack import PACKS, ParameterNotInForce, load_pack
from locales import Translations
from tests.cases.helpers import NOW, PACK, volunteer

SVG = "{http://www.w3.org/2000/svg}"
CITY = {"zh_CN": "示范市", "en": "Demo City"}
HOSTILE = '<script>alert("x")</script> & 李华'


@pytest.fixture(scope="module")
def translations() -> Translations:
    return Translations()


def draw(translations: Translations, locale: str, name: str = "王秀英", **kw) -> bytes:
    given = {"name": name, "hours": Decimal("52.5"), "milestone": 50, "issued_on": date(2026, 11, 29),
             "serial": "YM-2026-000007", "city": CITY}
    return render_certificate(translations(locale), **{**given, **kw})


def texts(svg: bytes) -> list[str]:
    """The words of the drawing, as a viewer would show them (the stylesheet left out)."""
    root = ET.fromstring(svg)
    return [t.text.strip() for t in root.iter(f"{SVG}text") if t.text and t.text.strip()]


# ---- the drawing


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_certificate_is_an_a4_landscape_svg_with_every_text_in_the_language(translations, locale):
    svg = draw(translations, locale)
    assert svg.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height")) == ("297mm", "210mm")
    words = texts(svg)
    assert "王秀英" in words and "50" in words
    expected = {
        "zh_CN": ["荣誉证书", "兹授予", "累计志愿服务满 50 小时", "现已累计服务 52.5 小时，特发此证，以资鼓励。",
                  "示范市民政局", "2026年11月29日", "证书编号：YM-2026-000007", "一门 · 信用+志愿"],
        "en": ["Certificate of Honour", "This certificate is presented to",
               "for reaching 50 hours of volunteer service", "52.5 hours of service in total. With our thanks.",
               "Demo City Civil Affairs Bureau", "November 29, 2026", "Certificate no. YM-2026-000007",
               "Yimen · Credit + Volunteer Scheme"],
    }[locale]
    for line in expected:
        assert line in words, (line, words)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == locale.replace("_", "-")


def test_the_english_certificate_has_no_chinese_but_the_name(translations):
    words = " ".join(texts(draw(translations, "en", name="Li Hua")))
    assert not any("\u4e00" <= c <= "\u9fff" for c in words)


def test_the_name_is_text_never_markup(translations):
    svg = draw(translations, "en", name=HOSTILE)
    assert b"<script>" not in svg
    root = ET.fromstring(svg)  # still well-formed
    assert HOSTILE in texts(svg)
    assert not list(root.iter(f"{SVG}script"))
    assert root.find(f"{SVG}title").text == f"Certificate of Honour · {HOSTILE}"


def test_a_long_name_is_drawn_smaller_to_fit(translations):
    def size(name: str) -> int:
        root = ET.fromstring(draw(translations, "en", name=name))
        return next(int(t.get("font-size")) for t in root.iter(f"{SVG}text") if t.text == name)

    assert size("王秀英") == 64
    assert size("Alexandra Montgomery-Fitzwilliam of Upper Minghu Lakeside") < 64
    assert size("欧" * 60) == 26  # never unreadably small


def test_an_unknown_city_still_names_a_bureau(translations):
    assert "民政局" in texts(draw(translations, "zh_CN", city=None))
    assert "Civil Affairs Bureau" in texts(draw(translations, "en", city=None))


def test_serials_and_file_names():
    assert certificate_serial(7, date(2026, 11, 29)) == "YM-2026-000007"
    assert certificate_filename(50, "YM-2026-000007") == "certificate-50h-YM-2026-000007.svg"


# ---- milestones


@pytest.mark.parametrize(
    ("before", "after", "crossed"),
    [
        ("0", "9.5", []),
        ("0", "10", [10]),  # reaching a milestone is crossing it
        ("9.5", "12", [10]),
        ("10", "49.99", []),  # already past 10
        ("0", "120", [10, 50, 100]),
        ("49", "250", [50, 100, 200]),
        ("200", "900", []),
    ],
)
def test_milestones_crossed(before, after, crossed):
    assert milestones_crossed(PACK, date(2026, 11, 29), Decimal(before), Decimal(after)) == crossed


def test_milestones_are_dated_policy(tmp_path: Path):
    shutil.copytree(PACKS / "demo", tmp_path / "demo", ignore=shutil.ignore_patterns("cases", "__pycache__"))
    path = tmp_path / "demo" / "parameters.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "    2024-01-01: {value: [10, 50, 100, 200],",
        '    2027-01-01: {value: [20, 40], source: "a later decision"}\n    2024-01-01: {value: [10, 50, 100, 200],',
    ), encoding="utf-8")
    pack = load_pack("demo", root=tmp_path)
    assert milestones_crossed(pack, date(2026, 12, 31), Decimal(0), Decimal(45)) == [10]
    assert milestones_crossed(pack, date(2027, 1, 1), Decimal(0), Decimal(45)) == [20, 40]
    with pytest.raises(ParameterNotInForce):
        milestones_crossed(pack, date(2023, 12, 31), Decimal(0), Decimal(45))


# ---- the repository (run on SQLite and PostgreSQL)


async def test_a_milestone_is_recorded_once_and_the_unit_of_work_stays_usable(database):
    first, _ = await volunteer(database)
    other, _ = await volunteer(database, "tg-8")
    async with database.unit_of_work() as uow:
        ten = await uow.certificates.add(first, 10, NOW)
        assert isinstance(ten, int)
        assert await uow.certificates.add(first, 10, NOW + timedelta(hours=1)) is None
        fifty = await uow.certificates.add(first, 50, NOW)  # after the refusal, in the same unit of work
        assert await uow.certificates.add(other, 10, NOW) is not None  # another volunteer's own
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.certificates.add(first, 50, NOW) is None
        listed = await uow.certificates.list(first)
    assert [(c.id, c.volunteer_id, c.milestone, c.issued_at) for c in listed] == [(ten, first, 10, NOW),
                                                                                 (fifty, first, 50, NOW)]


async def test_a_certificate_of_an_unknown_volunteer_is_a_fault_not_a_repeat(database):
    with pytest.raises(IntegrityError):
        async with database.unit_of_work() as uow:
            await uow.certificates.add(4242, 10, NOW)


# ---- awarding


async def award(database, volunteer_id, resident_id, before, after, now=NOW):
    async with database.unit_of_work() as uow:
        given = await award_certificates(uow, PACK, volunteer_id=volunteer_id, resident_id=resident_id, name="李华",
                                         hours_before=Decimal(before), hours_after=Decimal(after), now=now)
        await uow.commit()
    return given


async def test_each_milestone_crossed_gives_a_certificate_and_a_notification(database):
    volunteer_id, resident_id = await volunteer(database)
    late = NOW.replace(hour=20)  # 04:00 the next day in the region: the certificate's date is local
    given = await award(database, volunteer_id, resident_id, "8", "52.5", now=late)
    assert len(given) == 2
    async with database.unit_of_work() as uow:
        notes = await uow.notifications.for_resident(resident_id)
        certificates = await uow.certificates.list(volunteer_id)
    assert [c.id for c in certificates] == given
    assert [(n.kind, n.application_number) for n in notes] == [("certificate", None)] * 2
    assert [n.params for n in notes] == [
        {"certificate_id": given[0], "milestone": 10, "hours": "52.5", "name": "李华", "issued_on": "2026-11-30",
         "city": CITY},
        {"certificate_id": given[1], "milestone": 50, "hours": "52.5", "name": "李华", "issued_on": "2026-11-30",
         "city": CITY},
    ]
    assert await award(database, volunteer_id, resident_id, "52.5", "60") == []


async def test_a_milestone_is_awarded_exactly_once_even_by_awards_at_the_same_time(database):
    volunteer_id, resident_id = await volunteer(database)
    results = await asyncio.gather(*(award(database, volunteer_id, resident_id, "45", "55") for _ in range(4)))
    assert sorted(len(r) for r in results) == [0, 0, 0, 1], results
    # Hours counted again give only what was never given: here the 10-hour certificate.
    assert len(await award(database, volunteer_id, resident_id, "0", "55")) == 1
    async with database.unit_of_work() as uow:
        notes = await uow.notifications.for_resident(resident_id)
        certificates = await uow.certificates.list(volunteer_id)
    assert sorted(n.params["milestone"] for n in notes) == [10, 50]
    assert [c.milestone for c in certificates] == [10, 50]
