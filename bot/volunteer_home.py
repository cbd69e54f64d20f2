"""A volunteer's home in the chat, and their pings and tasks answered by a typed word or number.

The home lists the pings waiting for an answer, the tasks taken (to check in and out), hours and
points, with a button for each and one to apply for help themselves. Its buttons are actions like
a notification's: they stay valid on their own message, in every channel. A typed word (接受,
decline, 签到 ...) answers the one ping or task it can mean, wherever the volunteer is in a
conversation; a number answers the home's own buttons while the home is where they are.
"""

from __future__ import annotations

import re

from backend.buttons import AnswerTask, ButtonAction, HomeChoice, TaskChoice, VolunteerHome
from backend.ports import UnitOfWork
from backend.volunteers.home import Home
from backend.volunteers.service import Volunteering
from bot import callbacks
from flows.intents import Option, Reply
from flows.session import Session
from locales import SUPPORTED, Translations

HOME_KEY = "volunteer.home"
# The word of each choice a volunteer may type, in every language (the buttons' own labels).
WORD_CHOICES = (TaskChoice.ACCEPT, TaskChoice.DECLINE, TaskChoice.CHECK_IN, TaskChoice.CHECK_OUT)
# Intake answers given before any application really began.
_NOT_YET_APPLYING = frozenset({"language", "consent"})
_WITH_ID = re.compile(r"^(?P<word>.+?)\s*#?\s*(?P<id>\d+)$")


def home_reply(home: Home, volunteering: Volunteering) -> Reply:
    pings = [volunteering.view(t, assigned=False) for t in home.pings]
    tasks = [{**volunteering.view(t, assigned=True), "checked_in": t.checked_in_at is not None} for t in home.tasks]
    several = len(home.pings) + len(home.tasks) > 1  # then each button names its task
    options: list[Option] = []
    for task in home.pings:
        options += [_option(AnswerTask(task.id, TaskChoice.ACCEPT), task.id, several),
                    _option(AnswerTask(task.id, TaskChoice.DECLINE), task.id, several)]
    for task in home.tasks:
        choice = TaskChoice.CHECK_OUT if task.checked_in_at else TaskChoice.CHECK_IN
        options.append(_option(AnswerTask(task.id, choice), task.id, several))
    options.append(Option(callbacks.encode(VolunteerHome(HomeChoice.APPLY)), "volunteer.home.apply"))
    params = {"name": home.volunteer.name, "paused": home.volunteer.paused, "pings": pings, "tasks": tasks,
              "hours": str(home.hours), "points": home.points}
    return Reply(HOME_KEY, params, tuple(options))


def _option(action: AnswerTask, task_id: int, numbered: bool) -> Option:
    key = f"task.button.{action.choice.value}"
    return Option(callbacks.encode(action), f"{key}_n" if numbered else key, {"task_id": task_id})


def choice_words(translations: Translations) -> dict[str, TaskChoice]:
    """Each choice's label in every language, lower-cased, as a volunteer would type it."""
    words: dict[str, TaskChoice] = {}
    for locale in SUPPORTED:
        messages = translations(locale)
        for choice in WORD_CHOICES:
            words[messages.render(f"task.button.{choice.value}").strip().lower()] = choice
            words[choice.value.replace("_", " ")] = choice  # "check in" in any language
    return words


def typed_choice(text: str, words: dict[str, TaskChoice]) -> tuple[TaskChoice, int | None] | None:
    """The choice a typed word stands for ("接受", "accept 12", "签到") and the task it names, if any."""
    typed = text.strip().lower()
    if typed in words:
        return words[typed], None
    found = _WITH_ID.match(typed)
    if found and found.group("word").strip() in words:
        return words[found.group("word").strip()], int(found.group("id"))
    return None


def word_action(typed: tuple[TaskChoice, int | None], home: Home) -> AnswerTask | None:
    """The ping or task a typed choice answers; None when it could mean several tasks and names none."""
    choice, task_id = typed
    if choice in (TaskChoice.ACCEPT, TaskChoice.DECLINE):
        candidates = home.pings
    else:
        checked_in = choice is TaskChoice.CHECK_OUT
        candidates = [t for t in home.tasks if (t.checked_in_at is not None) == checked_in]
    if task_id is not None:
        candidates = [t for t in candidates if t.id == task_id]
    return AnswerTask(candidates[0].id, choice) if len(candidates) == 1 else None


def numbered_action(text: str, reply: Reply) -> ButtonAction | None:
    """The home's button a typed number stands for (1 for the first)."""
    typed = text.strip()
    if not (typed.isascii() and typed.isdigit()) or not 1 <= int(typed) <= len(reply.options):
        return None
    return callbacks.decode(reply.options[int(typed) - 1].value)


async def at_home(uow: UnitOfWork, resident_id: str, active_flow: str | None, intake: str) -> bool:
    """Whether a volunteer's message goes to their home: they are in no other flow, and no
    application of theirs is under way (one they began before registering, or from the home)."""
    if active_flow is not None and active_flow != intake:
        return False
    stored = await uow.sessions.load(resident_id, intake)
    session = Session.from_dict(stored) if stored else None
    if session is None or session.final or session.state == "new":
        return True
    # Chose to apply from the home: the intake has them until the application is over.
    return active_flow is None and not set(session.answers) - _NOT_YET_APPLYING


async def drop_unbegun_intake(uow: UnitOfWork, resident_id: str, intake: str) -> None:
    """Forget an application that never began (only a language chosen, or the consent shown) of
    someone who has just registered as a volunteer: they came to volunteer, and are not to be
    reminded of an application they never started."""
    stored = await uow.sessions.load(resident_id, intake)
    session = Session.from_dict(stored) if stored else None
    if session is not None and not session.final and not set(session.answers) - _NOT_YET_APPLYING:
        await uow.sessions.delete(resident_id, intake)
