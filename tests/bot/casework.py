"""A resident's application submitted and a caseworker acting on it, as the chat tests set them up."""

from __future__ import annotations

from backend.cases.lifecycle import CaseAction
from backend.cases.service import ActionRequest
from tests.bot.dispatching import dispatcher
from tests.cases.helpers import NOW, payload

START_REVIEW = ActionRequest(CaseAction.START_REVIEW)


def request_info(question: str) -> ActionRequest:
    return ActionRequest(CaseAction.REQUEST_INFO, question=question)


async def applied(conversations, database, channel: str, address: str, *, data=None, serial: int = 1,
                  locale: str = "en") -> tuple[str, str]:
    """The resident at ``channel``/``address`` with a submitted application: (resident id, number)."""
    async with database.unit_of_work() as uow:
        resident = await uow.residents.identify(channel, address, now=NOW)
        await uow.residents.set_locale(resident.id, locale)
        outcome = await conversations.services.intake.submit(uow, data or payload(serial), resident_id=resident.id,
                                                             document_ids=[], now=NOW)
        await uow.commit()
    return resident.id, outcome.application.number


async def acted(conversations, database, clock, account, number: str, *actions: ActionRequest) -> None:
    """``account`` takes ``actions`` on the case in one unit of work; then the worker's dispatch pass."""
    async with database.unit_of_work() as uow:
        for action in actions:
            await conversations.services.backend.cases.act(uow, account.user, number, action, now=NOW)
        await uow.commit()
    await dispatched(database, clock)


async def dispatched(database, clock) -> None:
    """The worker's pass: notifications for residents with no channel that can push wait for them."""
    await dispatcher(database, clock).drain()
