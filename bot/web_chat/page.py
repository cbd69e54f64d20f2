"""The chat page as HTML, drawn on the server from a transcript ``View``.

Plain jinja2 with autoescaping over a template of this package; the words are the locale's
catalog messages (``webchat.*``). Yimen's replies come HTML-escaped already when the runner
renders for HTML (``Outbound.html``), and are escaped here otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from backend.documents import ACCEPT_ATTRIBUTE
from bot.web_chat.transcript import View
from locales import Messages

TEMPLATES = Path(__file__).resolve().parent / "templates"
# The HTML ``lang`` of each locale.
LANG = {"zh_CN": "zh-CN", "en": "en"}
# Notices a redirect may name in its query (``?n=``): never text from the request.
NOTICES = {"stale": "webchat.stale", "no_file": "webchat.no_file", "empty": "webchat.empty"}


@dataclass(frozen=True, slots=True)
class OpenOffer:
    """An open offer on the page's panel: what the message ``offers.item`` says of it, and the
    values its Accept and Not now buttons post (``offer``)."""

    id: int
    item: dict[str, Any]
    accept: str
    decline: str


class Page:
    """Renders the page; the template is loaded on first use, not at import."""

    def __init__(self, *, base: str = "/chat", templates: Path = TEMPLATES) -> None:
        self.base = base
        self._templates = templates
        self._env: Environment | None = None

    def _load(self, name: str) -> Template:
        if self._env is None:
            self._env = Environment(loader=FileSystemLoader(self._templates), autoescape=True,
                                    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        return self._env.get_template(name)

    def render(
        self, view: View, messages: Messages, *, csrf: str, max_mb: float, notice: str | None = None,
        code: str | None = None, minutes: int = 10, links: bool = True, offers: tuple[OpenOffer, ...] = (),
    ) -> str:
        """The page for one browser.

        Args:
            csrf: the form token every form carries.
            notice: a key of ``NOTICES`` to show above the conversation.
            code: a link code just issued, shown once.
            links: whether link codes can be asked for here.
            offers: the resident's open offers, on a panel above the conversation.
        """
        anchor = _anchor(view)
        return self._load("chat.html.j2").render(
            view=view, t=messages.render, lang=LANG.get(messages.locale, "zh-CN"), base=self.base, csrf=csrf,
            max_mb=max_mb, notice=NOTICES.get(notice or ""), code=code, minutes=minutes, links=links, anchor=anchor,
            offers=offers,
            accept=ACCEPT_ATTRIBUTE,  # the types the storage's content check keeps
        )

    def refused(self, messages: Messages) -> str:
        """The page for a post that did not carry this browser's form token (403)."""
        return self._load("refused.html.j2").render(t=messages.render, lang=LANG.get(messages.locale, "zh-CN"),
                                                    base=self.base)


def _anchor(view: View) -> int | None:
    """Where a page drawn after a post opens (``#latest``): the first of the messages new to the
    resident, else the last message."""
    new = [e.id for e in view.entries if e.new]
    if new:
        return new[0]
    return view.entries[-1].id if view.entries else None
