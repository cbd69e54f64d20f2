"""A typed word answers the one ping or task it can mean, in either language; with several, the
task's number says which; a number answers the home's own buttons."""

from __future__ import annotations

from decimal import Decimal

from backend.buttons import AnswerTask, HomeChoice, TaskChoice, VolunteerHome, action_of, button
from backend.volunteers.home import Home
from backend.volunteers.ports import Task, TaskStatus, Volunteer
from bot import callbacks
from bot.volunteer_home import choice_words, home_reply, numbered_action, typed_choice, word_action
from locales import Translations
from tests.cases.helpers import NOW
from tests.volunteers.helpers import VOLUNTEERING, spec

WORDS = choice_words(Translations())
ANNA = Volunteer(1, "r1", "Anna Li", "13912345678", ("hubin",), ("weekday_morning",), False, NOW)


def task(task_id: int, status: TaskStatus = TaskStatus.OPEN, checked_in: bool = False) -> Task:
    return Task(task_id, spec(), status, 1 if status is TaskStatus.ASSIGNED else None, 1, None, "wang", NOW,
                checked_in_at=NOW if checked_in else None)


def home(pings: list[Task], tasks: list[Task] = ()) -> Home:
    return Home(ANNA, pings, list(tasks), Decimal("0.00"), 0)


def answer(text: str, at: Home) -> AnswerTask | None:
    typed = typed_choice(text, WORDS)
    return word_action(typed, at) if typed else None


def test_one_ping_is_answered_by_its_word_in_either_language():
    one = home([task(7)])
    assert answer("接受", one) == AnswerTask(7, TaskChoice.ACCEPT)
    assert answer(" Decline ", one) == AnswerTask(7, TaskChoice.DECLINE)
    assert answer("婉拒 #7", one) == AnswerTask(7, TaskChoice.DECLINE)
    assert answer("接受 8", one) is None  # no such ping
    assert typed_choice("王老师", WORDS) is None and typed_choice("1", WORDS) is None


def test_with_several_the_number_says_which_and_check_in_and_out_go_to_the_right_task():
    two = home([task(7), task(9)], [task(3, TaskStatus.ASSIGNED), task(4, TaskStatus.ASSIGNED, checked_in=True)])
    assert answer("accept", two) is None
    assert answer("accept 9", two) == AnswerTask(9, TaskChoice.ACCEPT)
    assert answer("签到", two) == AnswerTask(3, TaskChoice.CHECK_IN)
    assert answer("check out", two) == AnswerTask(4, TaskChoice.CHECK_OUT)


def test_a_number_is_the_homes_own_button():
    reply = home_reply(home([task(7)], [task(3, TaskStatus.ASSIGNED)]), VOLUNTEERING)
    assert [o.key for o in reply.options] == ["task.button.accept_n", "task.button.decline_n",
                                              "task.button.check_in_n", "volunteer.home.apply"]
    assert numbered_action("2", reply) == AnswerTask(7, TaskChoice.DECLINE)
    assert numbered_action("4", reply) == VolunteerHome(HomeChoice.APPLY)
    assert numbered_action("5", reply) is None and numbered_action("二", reply) is None


def test_the_new_buttons_travel_as_values_and_as_stored_params():
    for action in (VolunteerHome(HomeChoice.APPLY), AnswerTask(7, TaskChoice.CHECK_IN),
                   AnswerTask(7, TaskChoice.CHECK_OUT)):
        assert callbacks.decode(callbacks.encode(action)) == action
        assert action_of(button(action, "x")["action"]) == action
    assert callbacks.decode("v2:home:show") is None and callbacks.decode("v2:task:7:check_sideways") is None
