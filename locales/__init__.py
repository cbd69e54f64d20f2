"""Every user-facing string, per locale, as Babel (gettext .po) catalogs of jinja2 templates.

A message is looked up by key (the msgid) and its msgstr is a jinja2 template rendered
with the message's parameters. Money and dates go through Babel's formatters.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, StrictUndefined, Template, TemplateError
from markupsafe import Markup

LOCALES_DIR = Path(__file__).resolve().parent
DEFAULT_LOCALE = "zh_CN"
SUPPORTED = ("zh_CN", "en")


class MissingMessage(KeyError):
    """A key with no message in a locale: every key must exist in every locale."""


def catalog_path(locale: str, root: Path = LOCALES_DIR) -> Path:
    return root / locale / "LC_MESSAGES" / "messages.po"


def read_catalog(locale: str, root: Path = LOCALES_DIR) -> dict[str, str]:
    """The messages of one locale, from every catalog of it (``messages.po``, ``policy.po`` ...).

    Untranslated entries are left out; a key defined in two catalogs is an error.
    """
    found: dict[str, str] = {}
    for path in sorted(catalog_path(locale, root).parent.glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        for message in catalog:
            if not (message.id and message.string):
                continue
            if str(message.id) in found:
                raise ValueError(f"{path}: {message.id!r} is already defined in another catalog")
            found[str(message.id)] = str(message.string)
    return found


def pick_locale(language_code: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Map a channel's language code (``zh-hans``, ``en-GB`` ...) to a supported locale."""
    if not language_code:
        return default
    code = language_code.replace("-", "_").lower()
    if code.startswith("zh"):
        return "zh_CN"
    return "en"


def mask_id_number(value: object) -> str:
    """Show an ID number as 110***********1234: enough to recognise, not enough to misuse."""
    text = str(value or "")
    return text[:3] + "*" * (len(text) - 7) + text[-4:] if len(text) > 7 else "*" * len(text)


class Messages:
    """Renders message keys in one locale. Build once per locale and reuse."""

    def __init__(
        self, locale: str, catalog: Mapping[str, str], *, html: bool = False, timezone: str = "Asia/Shanghai"
    ) -> None:
        self.locale = locale
        self._zone = ZoneInfo(timezone)
        self._babel = Locale.parse(locale)
        self._catalog = dict(catalog)
        self._templates: dict[str, Template] = {}
        env = Environment(undefined=StrictUndefined, autoescape=html, keep_trailing_newline=False)
        env.filters.update(
            money=self.money, date=self.date, month=self.month, when=self.when, number=self.number, loc=self.localized,
            mask=mask_id_number,
        )
        # With HTML autoescaping, a message rendered inside another is already safe markup.
        env.globals.update(t=self._nested if html else self.render, locale=locale)
        self._env = env

    def _nested(self, key: str, **params: object) -> Markup:
        return Markup(self.render(key, **params))

    @property
    def zone(self) -> ZoneInfo:
        """The time zone dates and times are shown in (and days counted in)."""
        return self._zone

    def has(self, key: str) -> bool:
        return key in self._catalog

    def keys(self) -> set[str]:
        return set(self._catalog)

    def render(self, key: str, **params: object) -> str:
        template = self._templates.get(key)
        if template is None:
            source = self._catalog.get(key)
            if source is None:
                raise MissingMessage(f"{self.locale}: no message {key!r}")
            template = self._templates[key] = self._env.from_string(source)
        try:
            return template.render(**params).strip()
        except TemplateError as error:
            raise MissingMessage(f"{self.locale}: message {key!r} failed to render: {error}") from error

    # ---- filters

    # The formatters render stored values, which may predate today's input bounds: a value they
    # cannot format (a year 9999 that overflows in the time zone, an amount that is no number)
    # is shown plainly rather than failing the whole page or message.

    def money(self, value: object) -> str:
        try:
            return format_currency(Decimal(str(value or 0)), "CNY", locale=self._babel)
        except (ArithmeticError, ValueError, TypeError):
            return str(value)

    def number(self, value: object) -> str:
        try:
            return format_decimal(Decimal(str(value or 0)), locale=self._babel)
        except (ArithmeticError, ValueError, TypeError):
            return str(value)

    def date(self, value: object) -> str:
        try:
            if isinstance(value, str):
                value = datetime.fromisoformat(value)
            if isinstance(value, datetime):
                # The date where the resident lives, not in UTC.
                value = (value.astimezone(self._zone) if value.tzinfo else value).date()
            if not isinstance(value, date):
                return str(value)
            return format_date(value, format="long", locale=self._babel)
        except (OverflowError, ValueError, TypeError):
            return _plain(value)

    def month(self, value: object) -> str:
        """A month and year (a benefit paid from 2027年1月, from January 2027)."""
        try:
            day = date.fromisoformat(value) if isinstance(value, str) else value
            if not isinstance(day, date):
                return str(value)
            return format_skeleton("yMMMM", day, locale=self._babel)
        except (OverflowError, ValueError, TypeError):
            return _plain(value)

    def when(self, value: object) -> str:
        """A date and time where the resident lives (a home visit, say)."""
        try:
            if isinstance(value, str):
                value = datetime.fromisoformat(value)
            if not isinstance(value, datetime):
                return str(value)
            # A time without a zone is stored UTC.
            aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
            return format_datetime(aware.astimezone(self._zone), format="medium", locale=self._babel)
        except (OverflowError, ValueError, TypeError):
            return _plain(value)

    def localized(self, value: object) -> str:
        """A name kept in data for each locale (a region, a programme)."""
        if hasattr(value, "get") and hasattr(value, "names"):
            return str(value.get(self.locale))
        if isinstance(value, Mapping):
            return str(value.get(self.locale) or next(iter(value.values())))
        return str(value)


def _plain(value: object) -> str:
    """A date or time as ISO text, in its own zone (the one place it cannot overflow)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class Translations:
    """All locales, loaded once."""

    def __init__(self, root: Path = LOCALES_DIR, *, html: bool = False, timezone: str = "Asia/Shanghai") -> None:
        self.messages = {
            loc: Messages(loc, read_catalog(loc, root), html=html, timezone=timezone) for loc in SUPPORTED
        }

    def __call__(self, locale: str | None) -> Messages:
        return self.messages.get(locale or DEFAULT_LOCALE) or self.messages[DEFAULT_LOCALE]
