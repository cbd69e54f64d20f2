"""The web chat's routes on the project's aiohttp application.

- ``GET /chat``: the page. A new browser gets a random identity in a signed cookie; a returning
  one first sees what waited for it (``Conversations.catch_up``).
- ``POST /chat/messages``: typed text, a pressed button, an answer to an offer of the panel of
  open offers, or an uploaded file, then a redirect back to the page (303), so that everything
  works without JavaScript and a reload repeats nothing.
- ``POST /chat/link``: a one-time code to link Telegram, shown once on the page it answers with.
- ``POST /chat/forget``: sign out on this device: the identity ends on the server (a shared computer).
- ``POST /chat/text-size``: larger text (适老化) or the usual size, kept in a cookie.
- ``GET /chat/static/{name}``: the page's stylesheet; the page loads nothing from anywhere else.

Every post carries the form token of the browser's identity, or is refused with 403. Typed text
carries the token of the question its page showed too (``bot.web_chat.place``): text from an
out-of-date page (the Back button, an old tab) is never taken as the answer to another question,
but held until the resident says whether it answers the question asked now (``bot.web_chat.held``).
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from babel import negotiate_locale

from backend.buttons import AnswerOffer, ReplyNow
from backend.client_address import Network, client_address
from backend.documents import DocumentRefused
from backend.serving import served_over_https
from bot import callbacks
from bot.channels import PUSH_CHANNELS
from bot.keyed_locks import KeyedLocks
from bot.linking import grouped
from bot.runner import Conversations, DocumentTooLarge
from bot.web_chat.forms import Form, FormRefused, read_form
from bot.web_chat.held import HeldAnswers
from bot.web_chat.identity import COOKIE, COOKIE_MAX_AGE, WebIdentities
from bot.web_chat.page import ACTIONS, Chrome, Page
from bot.web_chat.panel import panel_of
from bot.web_chat.place import place_of, question_label, returning
from bot.web_chat.transcript import CHANNEL, Transcript, View, masked
from flows import events as ev
from locales import SUPPORTED, pick_locale

BASE = "/chat"
# The resident's text size (``large``), kept by the browser: a preference, nothing about them.
TEXT_COOKIE = "yimen_text"
STATIC = Path(__file__).resolve().parent / "static"
HEADERS = {
    # Nothing but this site's own stylesheet and forms; no script at all.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The page holds the resident's answers: never kept by a browser or a proxy.
    "Cache-Control": "no-store",
}


class WebChat:
    """The web channel over the conversation runner.

    Args:
        conversations: the runner (its database, clock, catalogs and document limit are used).
        secret: the installation's secret key, which signs cookies and form tokens.
        identities: instead of ones made from ``secret`` (tests give predictable ids).
        proxies: the reverse proxies whose ``X-Forwarded-For`` names the client (``YIMEN_TRUSTED_PROXIES``).
    """

    def __init__(self, conversations: Conversations, *, secret: bytes, identities: WebIdentities | None = None,
                 page: Page | None = None, proxies: tuple[Network, ...] = ()) -> None:
        self.conversations = conversations
        self.proxies = proxies
        self.identities = identities or WebIdentities(secret)
        self.transcript = Transcript(conversations.database, clock=conversations.clock, push_channels=PUSH_CHANNELS,
                                     sealed_texts=conversations.services.sealed_texts)
        self.held = HeldAnswers(conversations.database, secret, clock=conversations.clock)
        self.page = page or Page(base=BASE)
        # Replies rendered for HTML carry the resident's own words escaped; else the page escapes.
        self.html = conversations.html_translations is not None
        self._turns = KeyedLocks()
        self._static: dict[str, bytes] = {}

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(BASE, self.show)
        app.router.add_post(f"{BASE}/messages", self.post)
        app.router.add_post(f"{BASE}/link", self.link)
        app.router.add_post(f"{BASE}/forget", self.forget)
        app.router.add_post(f"{BASE}/text-size", self.text_size)
        app.router.add_get(f"{BASE}/static/{{name}}", self.static)

    # ------------------------------------------------------------------ routes

    async def show(self, request: web.Request) -> web.Response:
        web_id = await self._web_id(request)
        if web_id is None:
            # A new browser, or a cookie that does not verify: a new identity, never someone else's.
            return self._page(request, self.identities.new(), View(), new_cookie=True)
        await self.conversations.catch_up(CHANNEL, web_id, outbox=True, html=self.html)
        view = await self.transcript.view(web_id)
        notice = request.query.get("n")
        return self._page(request, web_id, view, notice=notice,
                          chrome=await self._chrome(request, web_id, view, greet=notice is None))

    async def post(self, request: web.Request) -> web.Response:
        web_id = await self._web_id(request)
        if web_id is None:
            return self._refused(request)
        try:
            form = await read_form(request, max_file=self.conversations.max_document_bytes,
                                   token_ok=lambda token: self.identities.form_token_ok(web_id, token))
        except FormRefused:
            return self._refused(request)
        if not self.identities.form_token_ok(web_id, form.fields.get("csrf")):
            return self._refused(request)
        if form.empty_upload and form.upload is None:
            return _back("no_file")
        counter = _number(form.fields.get("seq"))
        async with self._turns.hold(web_id):
            return await self._act(request, web_id, form, counter)

    async def link(self, request: web.Request) -> web.Response:
        web_id = await self._web_id(request)
        links = self.conversations.links
        if web_id is None or links is None:
            return self._refused(request)
        form = await self._small_form(request, web_id)
        if form is None:
            return self._refused(request)
        now = self.conversations.clock()
        async with self.conversations.database.unit_of_work() as uow:
            resident = await uow.residents.identify(CHANNEL, web_id, now=now)
            code = await links.issue(uow, resident.id, now=now)
            await uow.commit()
        view = await self.transcript.view(web_id)
        # Answered with the page rather than a redirect: the code is stored only as a hash and
        # can be shown this once.
        return self._page(request, web_id, view, code=grouped(code),
                          chrome=await self._chrome(request, web_id, view, greet=False))

    async def forget(self, request: web.Request) -> web.Response:
        web_id = await self._web_id(request)
        if web_id is None:
            return _back()
        form = await self._small_form(request, web_id)
        if form is None:
            return self._refused(request)
        # Ended on the server, not only forgotten by this browser: a copy of the cookie (another
        # device, a stolen one) no longer reaches the resident, who keeps their answers.
        async with self._turns.hold(web_id):
            async with self.conversations.database.unit_of_work() as uow:
                # A browser that only looked gets an identity too, so that its id is retired as well.
                await uow.residents.identify(CHANNEL, web_id, now=self.conversations.clock())
                await uow.web_identities.retire(CHANNEL, web_id)
                await uow.commit()
        response = _back()
        response.del_cookie(COOKIE, path=BASE)
        return response

    async def text_size(self, request: web.Request) -> web.Response:
        web_id = await self._web_id(request)
        if web_id is None:
            return self._refused(request)
        form = await self._small_form(request, web_id)
        if form is None:
            return self._refused(request)
        response = _back()
        if form.fields.get("large") == "1":
            response.set_cookie(TEXT_COOKIE, "large", max_age=COOKIE_MAX_AGE, path=BASE, httponly=True,
                                samesite="Lax", secure=served_over_https(request))
        else:
            response.del_cookie(TEXT_COOKIE, path=BASE)
        return response

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if not self._static:
            self._static = {p.name: p.read_bytes() for p in STATIC.iterdir() if p.suffix == ".css"}
        body = self._static.get(name)
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="text/css", charset="utf-8",
                            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})

    # ------------------------------------------------------------------ internals

    async def _small_form(self, request: web.Request, web_id: str) -> Form | None:
        """A form with no file and this browser's own token; None for anything else."""
        try:
            form = await read_form(request, max_file=0, token_ok=lambda _: False)
        except FormRefused:
            return None
        return form if self.identities.form_token_ok(web_id, form.fields.get("csrf")) else None

    async def _web_id(self, request: web.Request) -> str | None:
        """The identity the browser's cookie carries; None for no cookie, one that does not verify,
        or one of an identity signed out on some device (a copied cookie counts as none)."""
        web_id = self.identities.read(request.cookies.get(COOKIE))
        if web_id is None:
            return None
        async with self.conversations.database.unit_of_work() as uow:
            retired = await uow.web_identities.retired(CHANNEL, web_id)
        return None if retired else web_id

    async def _chrome(self, request: web.Request, web_id: str, view: View, *, greet: bool) -> Chrome:
        """The live question, the panel, an answer held back, and whether to welcome the resident back."""
        conversations = self.conversations
        place = await place_of(conversations, web_id)
        messages = conversations.translations(view.locale or _hint(request) or conversations.default_locale)
        held, draft = await self.held.waiting(web_id)
        return Chrome(
            token=place.token, question=question_label(place, messages), asking=place.asking,
            welcome=greet and returning(view.last_said_at, conversations.clock()), held=held, draft=draft or "",
            large=_large(request), panel=await panel_of(conversations, web_id),
        )

    async def _act(self, request: web.Request, web_id: str, form: Form, counter: int) -> web.Response:
        """One post: recorded, then handed to the runner as the event it is."""
        conversations = self.conversations
        hint = _hint(request)
        upload, fields = form.upload, form.fields
        if upload is not None:
            return await self._upload(web_id, form, counter, hint)
        pressed = _pressed(fields.get("button"))
        if pressed is not None:
            if not await self.transcript.accept(web_id, counter, pressed=pressed):
                return _back("stale")
            result = await conversations.press(CHANNEL, web_id, *pressed, locale_hint=hint, html=self.html)
            if result.expired:
                await conversations.notice(CHANNEL, web_id, "channel.button_expired", {}, locale_hint=hint,
                                           html=self.html)
            return _back()
        if fields.get("held"):
            return await self._settle(request, web_id, fields)
        answer = callbacks.decode(fields.get("offer") or fields.get("action") or "")
        if isinstance(answer, AnswerOffer | ReplyNow):
            # From the panel (an open offer, a caseworker's request): answered as the same button in
            # the conversation is (it must be this resident's), the choice shown as what they said.
            messages = conversations.translations(await conversations.locale_of(CHANNEL, web_id, hint))
            label = messages.render("notice.reply_now" if isinstance(answer, ReplyNow)
                                    else "offer.accept" if answer.accept else "offer.decline")
            if not await self.transcript.accept(web_id, counter, {"text": label}):
                return _back("stale")
            await conversations.handle(CHANNEL, web_id, ev.Choice(callbacks.encode(answer)), outbox=True,
                                       locale_hint=hint, html=self.html)
            return _back()
        taken: int | None = counter
        if fields.get("start"):
            label = conversations.translations(hint or conversations.default_locale).render("webchat.start")
            event: ev.Event = ev.Command("start")
        elif fields.get("command") in ACTIONS:
            action = str(fields["command"])
            messages = conversations.translations(await conversations.locale_of(CHANNEL, web_id, hint))
            label = messages.render(f"webchat.action.{action}")
            event = ev.Command(await self._command(web_id, action))
        else:
            label = (fields.get("text") or "").strip()
            if not label:
                return _back("empty")
            event = _event(label)
            if isinstance(event, ev.Command):
                taken = None  # typed now, and no answer to any question: runs from any page
            elif "q" in fields:
                # An answer: taken only for the question its page showed.
                if fields["q"] != (await place_of(conversations, web_id)).token:
                    if await self.transcript.last_said(web_id) == masked(label):
                        return _back("again")  # sent twice (a double click, or retyped after Back)
                    await self.held.hold(web_id, label)
                    return _back()
                taken = None  # the question is the live one, whatever else the page missed
            if isinstance(event, ev.Text):
                # Answered anew: what was held (and not confirmed) is no longer asked about.
                await self.held.clear(web_id)
        return await self._turn(request, web_id, event, label, taken)

    async def _turn(self, request: web.Request, web_id: str, event: ev.Event, label: str,
                    counter: int | None) -> web.Response:
        """What the resident said recorded, then the runner's turn."""
        if not await self.transcript.accept(web_id, counter, {"text": label}):
            return _back("stale")
        address = client_address(request.remote, request.headers.getall("X-Forwarded-For", ()), self.proxies)
        await self.conversations.handle(CHANNEL, web_id, event, outbox=True, client_address=address,
                                        locale_hint=_hint(request), html=self.html)
        return _back()

    async def _settle(self, request: web.Request, web_id: str, fields: dict[str, str]) -> web.Response:
        """The resident's yes or no on an answer held from an out-of-date page."""
        choice, _, held_id = fields["held"].partition(":")
        if choice == "drop":
            await self.held.settle(web_id, _number(held_id), use=False)
            return _back("kept")
        if choice != "use":
            return _back("stale")
        if fields.get("q") != (await place_of(self.conversations, web_id)).token:
            return _back()  # the question changed again meanwhile: asked anew, the text still held
        text = await self.held.settle(web_id, _number(held_id), use=True)
        if text is None:
            return _back("stale")
        return await self._turn(request, web_id, ev.Text(text), text, None)

    async def _command(self, web_id: str, action: str) -> str:
        """The command a button stands for: 重新开始 cancels what is in progress (asking first, as
        /cancel does), and starts anew when nothing is."""
        if action != "restart":
            return action
        return "cancel" if (await place_of(self.conversations, web_id)).asking else "start"

    async def _upload(self, web_id: str, form: Form, counter: int, hint: str | None) -> web.Response:
        conversations = self.conversations
        upload = form.upload
        assert upload is not None
        if not await self.transcript.accept(web_id, counter, {"text": upload.filename, "file": True}):
            return _back("stale")
        too_large = upload.too_large
        if not too_large:
            try:
                await conversations.upload(CHANNEL, web_id, upload.filename, upload.mime, upload.data,
                                           outbox=True, locale_hint=hint, html=self.html)
            except DocumentTooLarge:
                too_large = True
            except DocumentRefused as refused:
                # Empty, or not a photo or PDF by its content: said in the chat; the question stays.
                await conversations.notice(CHANNEL, web_id, refused.key, {}, locale_hint=hint, html=self.html)
        if too_large:
            # Said in the chat, where the resident is looking, as Telegram does.
            mb = round(conversations.max_document_bytes / (1024 * 1024), 1)
            await conversations.notice(CHANNEL, web_id, "documents.too_large", {"max_mb": mb}, locale_hint=hint,
                                       html=self.html)
        return _back()

    def _page(self, request: web.Request, web_id: str, view: View, *, notice: str | None = None,
              code: str | None = None, new_cookie: bool = False, chrome: Chrome | None = None) -> web.Response:
        conversations = self.conversations
        messages = conversations.translations(view.locale or _hint(request) or conversations.default_locale)
        links = conversations.links
        body = self.page.render(
            view, messages, csrf=self.identities.form_token(web_id),
            max_mb=round(conversations.max_document_bytes / (1024 * 1024), 1), notice=notice, code=code,
            minutes=links.minutes if links else 10, links=links is not None,
            chrome=chrome or Chrome(large=_large(request)),
        )
        response = web.Response(text=body, content_type="text/html", charset="utf-8", headers=HEADERS)
        if new_cookie:
            response.set_cookie(COOKIE, self.identities.cookie(web_id), max_age=COOKIE_MAX_AGE, path=BASE,
                                httponly=True, samesite="Lax", secure=served_over_https(request))
        return response

    def _refused(self, request: web.Request) -> web.Response:
        messages = self.conversations.translations(_hint(request) or self.conversations.default_locale)
        return web.Response(status=403, text=self.page.refused(messages), content_type="text/html",
                            charset="utf-8", headers=HEADERS)


def _back(notice: str | None = None) -> web.Response:
    """See the page again (303: the browser follows with a GET, and a reload does not post twice)."""
    query = f"?n={notice}" if notice else ""
    return web.Response(status=303, headers={"Location": f"{BASE}{query}#latest", "Cache-Control": "no-store"})


def _large(request: web.Request) -> bool:
    return request.cookies.get(TEXT_COOKIE) == "large"


def _event(text: str) -> ev.Event:
    """Typed text as the engine takes it: ``/name arg`` is a command, as on Telegram."""
    if text.startswith("/"):
        name, _, arg = text[1:].partition(" ")
        if name:
            return ev.Command(name.lower(), arg.strip())
    return ev.Text(text)


def _pressed(value: str | None) -> tuple[int, int] | None:
    """``"<outbox id>:<index>"`` as two numbers, or None."""
    prompt, _, index = (value or "").partition(":")
    if not (prompt.isdigit() and index.isdigit()) or len(prompt) > 18 or len(index) > 3:
        return None
    return int(prompt), int(index)


def _number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 18 else 0


# The languages of the supported locales, as Accept-Language names them (zh, en).
SPOKEN_LANGUAGES = sorted({locale.split("_")[0] for locale in SUPPORTED})


def _hint(request: web.Request) -> str | None:
    """The browser's language as a supported locale, or None when it states none.

    The languages are taken in the order of their q-values, and the first that Yimen speaks wins
    (``fr, zh;q=0.8`` is Chinese); a browser stating only others gets English, as a channel does.
    """
    ranked = []
    for position, item in enumerate(request.headers.get("Accept-Language", "").split(",")):
        tag, *parameters = (piece.strip() for piece in item.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag and tag != "*" and weight > 0:
            ranked.append((-weight, position, tag))
    tags = [tag for _, _, tag in sorted(ranked)]
    if not tags:
        return None
    spoken = negotiate_locale([tag.split("-")[0].lower() for tag in tags], SPOKEN_LANGUAGES)
    return pick_locale(spoken or tags[0])

