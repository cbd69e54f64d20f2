"""A notification's button (an offer, the list of open offers, a task, a rating, "reply now", an outreach application),
pressed on its own message or chosen where buttons are typed (the terminal).

Every action checks that the button is the resident's to press, so a forged value changes nothing.
"""

from __future__ import annotations

from dataclasses import replace

from backend.buttons import AnswerOffer, ApplyPrefilled, ButtonAction, HomeChoice, ListOffers, ReplyNow, VolunteerHome
from backend.cases.lifecycle import CaseStatus
from backend.cases.offers import answer_offer
from bot import callbacks
from bot.runner.context import Answered, Message, Preset, TurnOutput
from bot.runner.effects import REPLY_FLOW
from bot.runner.handlers.offers import open_offers_reply
from bot.runner.rendering import Renderer
from bot.runner.turn import Turns
from bot.services import Services
from flows import events as ev
from flows.intake import prefill
from flows.intents import Option, Reply
from flows.session import Session

# A flow a button starts, and what it begins with.
Start = tuple[str, Preset | None]


class NotificationButtons:
    def __init__(self, services: Services, turns: Turns, renderer: Renderer) -> None:
        self._backend = services.backend
        self._turns = turns
        self._renderer = renderer

    async def __call__(self, m: Message) -> Answered | None:
        action = callbacks.decode(m.event.value) if isinstance(m.event, ev.Choice) else None
        return await self.answer(m, action) if action is not None else None

    async def answer(self, m: Message, action: ButtonAction) -> Answered | None:
        """The replies to ``action``, live when a flow started (its question is then the live
        prompt); None when the button is not one of the resident's."""
        answered = await self._act(m, action)
        if answered is None:
            return None
        said, start = answered
        replies = self._renderer.render([said], m.locale, html=m.html) if said is not None else []
        if start is None:
            return Answered(replies, live=False)
        out = TurnOutput()
        await self._turns.run(replace(m, event=ev.Command("start"), document=None), out, outbox=False,
                              flow=start[0], preset=start[1])
        return Answered(replies + out.replies, live=True, discarded=tuple(out.discarded))

    async def _act(self, m: Message, action: ButtonAction) -> tuple[Reply | None, Start | None] | None:
        backend = self._backend
        if isinstance(action, AnswerOffer):
            offered = await answer_offer(m.uow, backend.projects, resident_id=m.resident.id, offer_id=action.offer_id,
                                         accepted=action.accept, now=m.now, services=backend.catalogue,
                                         volunteering=backend.volunteering)
            if offered is None:
                return None
            start = (offered.start_flow, None) if offered.start_flow in self._turns.engines else None
            return Reply(offered.key, dict(offered.params)), start
        if isinstance(action, ListOffers):
            return await open_offers_reply(m.uow, backend.projects, resident_id=m.resident.id, now=m.now), None
        if isinstance(action, ReplyNow):
            case = await m.uow.cases.get(action.number)
            if case is None or case.resident_id != m.resident.id or REPLY_FLOW not in self._turns.engines:
                return None
            if case.status is CaseStatus.INFO_REQUESTED:
                return None, (REPLY_FLOW, Preset({"number": action.number}))
            return Reply("reply.not_needed", {"number": action.number}), None
        if isinstance(action, ApplyPrefilled):
            known = await backend.outreach.prefill(m.uow, m.resident.id, action.alert_id)
            if known is None:
                return None
            answers, members = prefill(known.household, name=known.name, id_number=known.id_number,
                                       office=known.office, district=known.district, member_ids=known.member_ids)
            return Reply("outreach.prefilled"), (self._turns.flow, Preset(answers, tuple(members), confirm=True))
        if isinstance(action, VolunteerHome):
            return await self._home(m, action.choice)
        pressed = await backend.volunteering.press(m.uow, m.resident.id, action, now=m.now)
        if pressed is None:
            return None
        options = tuple(Option(callbacks.encode(a), label) for a, label in pressed.options)
        return Reply(pressed.key, pressed.params, options), None

    async def _home(self, m: Message, choice: HomeChoice) -> tuple[Reply | None, Start | None] | None:
        """A volunteer's home button: apply for help themselves (the intake has them until that
        application is over)."""
        if choice is not HomeChoice.APPLY or await m.uow.volunteers.by_resident(m.resident.id) is None:
            return None
        intake = self._turns.flow
        await m.uow.residents.set_active_flow(m.resident.id, intake)
        stored = await m.uow.sessions.load(m.resident.id, intake)
        begun = stored is not None and not Session.from_dict(stored).final
        return None, (intake, None if begun else Preset())

