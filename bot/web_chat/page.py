"""The chat page as HTML, drawn on the server from a transcript ``View``.

Plain jinja2 with autoescaping over a template of this package; the words are the locale's
catalog messages (``webchat.*``). Yimen's replies come HTML-escaped already when the runner
renders for HTML (``Outbound.html``), and are escaped here otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from backend.documents import ACCEPT_ATTRIBUTE
from bot.web_chat.held import Held
from bot.web_chat.panel import OpenOffer, Panel
from bot.web_chat.transcript import View, masked
from locales import Messages

TEMPLATES = Path(__file__).resolve().parent / "templates"
# The HTML ``lang`` of each locale.
LANG = {"zh_CN": "zh-CN", "en": "en"}
# Notices a redirect may name in its query (``?n=``): never text from the request.
NOTICES = {"stale": "webchat.stale", "no_file": "webchat.no_file", "empty": "webchat.empty",
           "again": "webchat.already_received", "kept": "webchat.held.returned"}
# Messages shown before the one the page opens at; the older ones fold behind "show earlier".
CONTEXT = 2
# The buttons that stand for the commands residents would otherwise have to type (``command``).
ACTIONS = ("status", "human", "back", "restart")

__all__ = ["ACTIONS", "Chrome", "OpenOffer", "Page"]


@dataclass(frozen=True, slots=True)
class Chrome:
    """What the page shows around the conversation.

    Attributes:
        token: the live question's token, which every form carries (``bot.web_chat.place``).
        question: the live question's short name.
        asking: a question is waiting for an answer (上一题 makes sense).
        welcome: greet a resident coming back, saying where they were.
        held: text typed on an out-of-date page, waiting for the resident's word.
        draft: text to put back in the answer box.
        large: the larger text the resident chose.
    """

    token: str = ""
    question: str = ""
    asking: bool = False
    welcome: bool = False
    held: Held | None = None
    draft: str = ""
    large: bool = False
    panel: Panel = field(default_factory=Panel)


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
        chrome: Chrome | None = None,
    ) -> str:
        """The page for one browser.

        Args:
            csrf: the form token every form carries.
            notice: a key of ``NOTICES`` to show above the conversation.
            code: a link code just issued, shown once.
            links: whether link codes can be asked for here.
            offers: the resident's open offers (when no ``chrome`` gives the whole panel).
            chrome: the live question, the welcome back, the held answer, the panel, the text size.
        """
        chrome = chrome or Chrome(panel=Panel(offers=offers))
        # With an answer held, the page opens at the question it would answer.
        anchor = view.prompt if chrome.held and any(e.id == view.prompt for e in view.entries) else _anchor(view)
        entries = list(view.entries)
        at = next((n for n, e in enumerate(entries) if e.id == anchor), len(entries))
        fold = max(0, at - CONTEXT)
        new = sum(1 for e in entries if e.new)
        return self._load("chat.html.j2").render(
            view=view, t=messages.render, lang=LANG.get(messages.locale, "zh-CN"), base=self.base, csrf=csrf,
            max_mb=max_mb, notice=NOTICES.get(notice or ""), code=code, minutes=minutes, links=links, new=new,
            earlier=entries[:fold], before=entries[fold:at], here=entries[at:], chrome=chrome, panel=chrome.panel,
            held_text=masked(chrome.held.text) if chrome.held else "", actions=_actions(view, chrome),
            accept=ACCEPT_ATTRIBUTE,  # the types the storage's content check keeps
        )

    def refused(self, messages: Messages) -> str:
        """The page for a post that did not carry this browser's form token (403)."""
        return self._load("refused.html.j2").render(t=messages.render, lang=LANG.get(messages.locale, "zh-CN"),
                                                    base=self.base)


def _anchor(view: View) -> int | None:
    """Where the page opens (``#latest``, and focused on load): the first of the messages new to
    the resident, else the live question, else the last message."""
    new = [e.id for e in view.entries if e.new]
    if new:
        return new[0]
    if any(e.id == view.prompt for e in view.entries):
        return view.prompt
    return view.entries[-1].id if view.entries else None


def _actions(view: View, chrome: Chrome) -> tuple[str, ...]:
    """The command buttons that mean something now: none before the conversation starts."""
    if not view.known:
        return ()
    return tuple(a for a in ACTIONS if a != "back" or chrome.asking)
