"""Intents and notices rendered in the resident's language, as replies a channel presents."""

from __future__ import annotations

from dataclasses import replace

from backend.cases.ports import Notification
from bot.outbound import Button, Outbound, notice_outbound
from bot.sealed_texts import SealedTexts
from flows.intents import Intent, Reply, SetLocale
from flows.private import has_private, masked, revealed
from locales import Messages, Translations


class Renderer:
    """Renders replies with plain catalogs, or HTML-escaping ones for channels that show HTML.

    Args:
        html_translations: catalogs rendering HTML-escaped text; without them every channel
            gets plain text.
        sealed_texts: seals what a reply shows in clear when it is stored; without it only the
            masked text is stored (a channel sending from the outbox then shows that).
    """

    def __init__(self, translations: Translations, html_translations: Translations | None,
                 sealed_texts: SealedTexts | None = None) -> None:
        self.translations = translations
        self.html_translations = html_translations
        # Seals the clear text of a reply that shows something private, for the outbox.
        self.sealed_texts = sealed_texts

    def texts(self, locale: str, *, html: bool) -> Messages:
        """The catalog message text is rendered with (button labels are always plain text)."""
        catalogs = self.html_translations if html and self.html_translations else self.translations
        return catalogs(locale)

    def render(self, intents: list[Intent], locale: str, *, html: bool = False) -> list[Outbound]:
        """Replies in the resident's language; a language change applies from the reply that follows it.

        With ``html``, message text is rendered with every parameter escaped; button labels
        are always plain text.
        """
        out: list[Outbound] = []
        for intent in intents:
            if isinstance(intent, SetLocale):
                locale = intent.locale
            if not isinstance(intent, Reply):
                continue
            labels = self.translations(locale)
            buttons = tuple(Button(o.value, labels.render(o.key, **o.params), o.selected) for o in intent.options)
            texts = self.texts(locale, html=html)
            # Private values (flows/private.py) in clear for the resident now, masked in what is kept.
            text = texts.render(intent.key, **revealed(intent.params))
            stored = texts.render(intent.key, **masked(intent.params)) if has_private(intent.params) else None
            if intent.progress is not None:
                step, steps = intent.progress
                progress = labels.render("common.progress", n=step, total=steps)
                text = f"{progress}\n{text}"
                stored = f"{progress}\n{stored}" if stored is not None else None
            contact = labels.render("common.share_contact") if intent.request_contact else ""
            out.append(Outbound(intent.key, text, buttons, intent.request_contact, intent.free_text, html, contact,
                                locale, stored))
        return out

    def notice(self, notice: Notification, locale: str, *, html: bool) -> Outbound:
        """A status update or offer, its buttons' actions encoded for the chat."""
        reply = notice_outbound(notice, self.texts(locale, html=html), self.translations(locale), html=html)
        return replace(reply, locale=locale)

