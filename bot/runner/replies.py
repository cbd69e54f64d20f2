"""Replies into the outbox, in the turn's unit of work: the one place a turn's replies are stored."""

from __future__ import annotations

from datetime import datetime

from backend.ports import UnitOfWork
from bot.channels import PUSH_CHANNELS
from bot.outbound import Outbound, from_a_notification, with_offers_button
from bot.runner.rendering import Renderer


async def store_replies(
    uow: UnitOfWork, resident_id: str, channel: str, address: str, replies: list[Outbound], now: datetime,
    *, live: bool = True,
) -> None:
    """Queue the replies; the last one with buttons becomes the live prompt (unless ``live`` is
    False: replies on the side leave the question the resident is at live)."""
    prompt: int | None = None
    for reply in replies:
        item = await uow.outbox.add(
            resident_id=resident_id,
            channel=channel,
            address=address,
            kind="message",
            payload=reply.to_payload(),
            at=now,
        )
        # A notification's buttons stay valid on their own message and never answer the
        # question (they are shown with a turn's replies where notices wait for the resident).
        if (reply.buttons and not from_a_notification(reply)) or reply.request_contact:
            prompt = item
    if replies and live:
        await uow.residents.set_active_prompt(channel, address, prompt)


async def show_choice(uow: UnitOfWork, resident_id: str, channel: str, external_id: str, message_id: int,
                      label: str, now: datetime) -> None:
    """The pressed message is edited to show the choice, without its buttons."""
    await uow.outbox.add(resident_id=resident_id, channel=channel, address=external_id, kind="edit",
                         payload={"edit_of": message_id, "chosen": label}, at=now)


async def waiting_notices(
    uow: UnitOfWork, renderer: Renderer, resident_id: str, channel: str, locale: str, html: bool, now: datetime
) -> list[Outbound]:
    """Status updates that could not be pushed to this resident, shown now that they write.

    Channels that can push get them from the dispatcher instead; they are not looked up. The
    newest status update of a case carries a button that lists the open offers while there are any."""
    if channel in PUSH_CHANNELS:
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
