"""Replies into the outbox, in the turn's unit of work: the one place a turn's replies are stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from backend.ports import OutboxItem, UnitOfWork
from backend.store.outbox import NewItem
from bot.channels import KEYBOARD_CHANNELS, PUSH_CHANNELS
from bot.outbound import COMMANDS_KEYBOARD, CONTACT_KEYBOARD, Outbound, from_a_notification, with_offers_button
from bot.runner.rendering import Renderer
from flows.intents import Reply

# A short line that brings the resident's buttons back in place of the share-phone button, when the
# reply after the phone question has inline buttons (a message has one keyboard or the other).
KEYBOARD_BACK = "channel.keyboard_back"
# The line under the phone question that points at the share-phone button (only where it is shown).
CONTACT_HINT = "channel.contact_hint"


async def store_replies(
    uow: UnitOfWork, resident_id: str, channel: str, address: str, replies: list[Outbound], now: datetime,
    *, live: bool = True, renderer: Renderer | None = None, reasked: bool = False,
) -> None:
    """Queue the replies; the last one with buttons becomes the live prompt (unless ``live`` is
    False: replies on the side leave the question the resident is at live).

    On a channel that keeps keyboards, the prompt that stops being live loses its buttons (an
    edit, queued first), and each reply says which reply keyboard it carries.

    Args:
        renderer: renders the line that takes the share-phone button away when it is needed.
        reasked: the replies ask the resident's question again (a reminder), which no answer of
            theirs has moved on: the prompt they last saw still answers it (bot/runner/unseen.py).
    """
    keyboards = channel in KEYBOARD_CHANNELS and bool(replies)
    previous = await uow.outbox.live_prompt(channel, address) if keyboards else None
    if keyboards:
        replies = _keyboard_back(replies, previous, live, renderer)
        replies = [_with_contact_hint(r, renderer) for r in replies]
    items: list[NewItem] = []
    if live and previous is not None and previous.payload.get("buttons"):
        # Answered by typing (or passed by): its buttons would only answer "expired" now.
        edit: dict[str, object] = {"edit_of": previous.id, "reasked": True} if reasked else {"edit_of": previous.id}
        items.append(NewItem(resident_id, channel, address, "edit", edit))
    # The share-phone button stays while the phone question is live (or is asked again).
    contact_kept = (not live and _asks_contact(previous)) or any(r.request_contact for r in replies)
    prompt: int | None = None  # the position in ``items`` of the reply that becomes the live prompt
    for reply in replies:
        payload = reply.to_payload()
        if reply.stored_text is not None and renderer is not None and renderer.sealed_texts is not None:
            # Shown in clear once, by the sender; stored masked, and sealed.
            payload["sealed_text"] = renderer.sealed_texts.seal(reply.text)
        if keyboards:
            payload["reply_keyboard"] = _reply_keyboard(reply, contact_kept)
        # A notification's buttons stay valid on their own message and never answer the
        # question (they are shown with a turn's replies where notices wait for the resident).
        if (reply.buttons and not from_a_notification(reply)) or reply.request_contact:
            prompt = len(items)
        items.append(NewItem(resident_id, channel, address, "message", payload))
    # One statement for them all, their ids in this order (the order they are sent in).
    ids = await uow.outbox.add_many(items, at=now)
    if replies and live:
        await uow.residents.set_active_prompt(channel, address, ids[prompt] if prompt is not None else None)


def _asks_contact(prompt: OutboxItem | None) -> bool:
    """Whether the live prompt shows the share-phone button (it has no inline buttons then)."""
    return prompt is not None and bool(prompt.payload.get("request_contact")) and not prompt.payload.get("buttons")


def _reply_keyboard(reply: Outbound, contact_kept: bool) -> str | None:
    """The reply keyboard a reply carries: the share-phone button with the phone question, the
    resident's buttons with a reply that has no inline ones (unless the share-phone button is to
    stay), or none (a message with inline buttons cannot carry one)."""
    if reply.request_contact and not reply.buttons:
        return CONTACT_KEYBOARD
    if reply.buttons or not reply.locale or contact_kept:
        return None
    return COMMANDS_KEYBOARD


def _keyboard_back(replies: list[Outbound], previous: OutboxItem | None, live: bool,
                   renderer: Renderer | None) -> list[Outbound]:
    """The replies, with a line that takes the share-phone button away first when the phone
    question is answered and no reply could do it (each has inline buttons)."""
    if not live or renderer is None or not _asks_contact(previous) or any(r.request_contact for r in replies):
        return replies
    if any(not r.buttons and r.locale for r in replies):
        return replies
    locale = next((r.locale for r in replies if r.locale), "")
    if not locale:
        return replies
    (line,) = renderer.render([Reply(KEYBOARD_BACK)], locale)
    return [line, *replies]


def _with_contact_hint(reply: Outbound, renderer: Renderer | None) -> Outbound:
    """The phone question with a line that points at the share-phone button, where there is one."""
    if renderer is None or not reply.request_contact or reply.buttons or not reply.locale:
        return reply
    hint = renderer.texts(reply.locale, html=reply.html).render(CONTACT_HINT)
    return replace(reply, text=f"{reply.text}\n{hint}")


async def show_choice(uow: UnitOfWork, resident_id: str, channel: str, external_id: str, message_id: int,
                      label: str, now: datetime, *, clear: bool | None = None) -> None:
    """The pressed message is edited to show the choice, without its buttons (so it is no longer
    the live prompt: the replies that follow need not take its buttons away again).

    Args:
        clear: whether the message stops being the live prompt here, when the caller knows
            (None: if it is the live prompt, which is read).
    """
    if clear is None:
        clear = await uow.residents.active_prompt(channel, external_id) == message_id
    if clear:
        await uow.residents.set_active_prompt(channel, external_id, None)
    await uow.outbox.add(resident_id=resident_id, channel=channel, address=external_id, kind="edit",
                         payload={"edit_of": message_id, "chosen": label}, at=now)


async def waiting_notices(
    uow: UnitOfWork, renderer: Renderer, resident_id: str, channel: str, locale: str, html: bool, now: datetime,
    *, any_waiting: bool | None = None,
) -> list[Outbound]:
    """Status updates that could not be pushed to this resident, shown now that they write.

    Channels that can push get them from the dispatcher instead; they are not looked up. The
    newest status update of a case carries a button that lists the open offers while there are any.

    Args:
        any_waiting: whether any wait, when the turn already knows (``Resident.notices_waiting``):
            only the dispatcher, in units of work of its own, leaves notices waiting.
    """
    if channel in PUSH_CHANNELS or any_waiting is False:
        return []
    shown = []
    waiting = await uow.notifications.waiting(resident_id)
    updates = [n.id for n in waiting if n.application_number is not None]
    newest = updates[-1] if updates and await uow.offers.open_for(resident_id, now=now) else None
    for notice in waiting:
        reply = renderer.notice(notice, locale, html=html)
        if notice.id == newest:
            reply = with_offers_button(reply, renderer.translations(locale))
        shown.append(reply)
        await uow.notifications.mark(notice.id, status="shown", at=now)
    return shown


# The reply to /status: the resident's applications, under which their open offers are one tap away.
STATUS_LIST = "status.list"


async def with_offers_on_status(uow: UnitOfWork, replies: list[Outbound], renderer: Renderer, resident_id: str,
                                locale: str, now: datetime) -> list[Outbound]:
    """The replies, the list of the resident's applications with the button that lists their
    open offers while there are any."""
    if not any(r.key == STATUS_LIST for r in replies) or not await uow.offers.open_for(resident_id, now=now):
        return replies
    labels = renderer.translations(locale)
    return [with_offers_button(r, labels) if r.key == STATUS_LIST else r for r in replies]
