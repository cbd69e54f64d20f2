"""Honour certificates (荣誉证书): given to a volunteer at milestones of service hours, once each.

The milestones are dated policy (``certificate_milestones_hours`` in the pack). Crossing one
records the certificate and a notification in the unit of work that credited the hours; the
certificate itself is drawn only when the notification is delivered, in the language the
volunteer uses by then.

The certificate is an SVG image, not a PDF. A PDF must embed the glyphs of its text, and
drawing Chinese needs a CJK font this service cannot count on having (the servers it runs on
carry none, and none may be fetched at run time). An SVG keeps its words as text: the
viewer (a phone, a browser) draws them with its own fonts, so the name and the Chinese
title come out right anywhere, and the file stays small and searchable.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from backend.points.ports import CertificatesUnitOfWork
from backend.policy.pack import Pack
from locales import Messages

MILESTONES = "certificate_milestones_hours"
KIND = "certificate"
MIME = "image/svg+xml"
_TEMPLATES = Path(__file__).resolve().parent / "templates"
# The name line is at most this wide (in units of the 1485-wide page) and this tall.
_NAME_WIDTH, _NAME_SIZE, _NAME_SMALLEST = 900.0, 64, 26


def milestones_crossed(pack: Pack, day: date, hours_before: Decimal, hours_after: Decimal) -> list[int]:
    """The milestones in force on ``day`` that the hours went past (or reached), lowest first."""
    milestones = pack.parameter_list(MILESTONES, day).items
    return sorted({int(m) for m in milestones if hours_before < m <= hours_after})


def certificate_serial(certificate_id: int, issued_on: date) -> str:
    """The number printed on a certificate: the year it was issued and its id."""
    return f"YM-{issued_on.year}-{certificate_id:06d}"


def certificate_filename(milestone: int, serial: str) -> str:
    # ASCII, so that every channel and every phone keeps it as it is.
    return f"certificate-{milestone}h-{serial}.svg"


async def award_certificates(
    uow: CertificatesUnitOfWork,
    pack: Pack,
    *,
    volunteer_id: int,
    resident_id: str,
    name: str,
    hours_before: Decimal,
    hours_after: Decimal,
    now: datetime,
) -> list[int]:
    """Certificates for the milestones between two totals of service hours; their ids.

    Each certificate comes with a notification for the volunteer, in the same unit of work. A
    milestone given before (a repeated or concurrent award) is skipped without one.
    """
    day = now.astimezone(ZoneInfo(pack.regions.timezone)).date()
    awarded: list[int] = []
    for milestone in milestones_crossed(pack, day, hours_before, hours_after):
        certificate_id = await uow.certificates.add(volunteer_id, milestone, now)
        if certificate_id is None:
            continue
        await uow.notifications.add(
            resident_id=resident_id,
            application_number=None,
            kind=KIND,
            params={
                "certificate_id": certificate_id,
                "milestone": milestone,
                "hours": str(hours_after),
                "name": name,
                "issued_on": day.isoformat(),
                # The issuer as it was when the certificate was given.
                "city": dict(pack.regions.names),
            },
            at=now,
        )
        awarded.append(certificate_id)
    return awarded


def render_certificate(
    messages: Messages,
    *,
    name: str,
    hours: Decimal,
    milestone: int,
    issued_on: date,
    serial: str,
    city: Mapping[str, str] | None = None,
) -> bytes:
    """The certificate as an SVG document (UTF-8), every word in ``messages``' language.

    ``messages`` must be plain (not HTML) messages: the template escapes every text itself.
    ``city`` names the issuing bureau's city in each language.
    """
    svg = _template().render(
        lang=messages.locale.replace("_", "-"),
        title=messages.render("certificate.title"),
        scheme=messages.render("certificate.scheme"),
        presented=messages.render("certificate.presented_to"),
        name=name,
        name_size=_name_size(name),
        milestone=milestone,
        milestone_line=messages.render("certificate.milestone", milestone=milestone),
        hours_line=messages.render("certificate.hours", hours=hours),
        badge_unit=messages.render("certificate.badge_unit"),
        issuer=messages.render("certificate.issuer", city=city),
        issued=messages.render("certificate.issued_on", issued_on=issued_on),
        serial_line=messages.render("certificate.serial", serial=serial),
    )
    return svg.encode("utf-8")


@lru_cache(maxsize=1)
def _template() -> Template:
    # Loaded on first use, not at import. Autoescaped: a volunteer's name is text, never markup.
    env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      keep_trailing_newline=True)
    return env.get_template("certificate.svg.j2")


def _name_size(name: str) -> int:
    """A font size that fits the name on its line: a Chinese character is about a full em wide,
    a Latin letter about half of one."""
    width = sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.55 for c in name) or 1.0
    return max(_NAME_SMALLEST, min(_NAME_SIZE, int(_NAME_WIDTH / width)))
