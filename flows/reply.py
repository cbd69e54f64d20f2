"""The reply flow: a resident answers a caseworker's request for information.

It starts from the "Reply now" button of an "information requested" notification, with
the application's number given (``Flow.given``). The resident writes their answer and may
send the photos or files asked for; confirming sends both to the caseworker.

No consent question: the answer and documents join an application the resident made
after agreeing to what is collected and why, so that consent covers them
(``Flow.consented_before``). Asking again would suggest a choice they do not have, and
declining would only lose the caseworker's answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from flows.common import LANGUAGE
from flows.flow import Answers, Ask, Flow, Kind, Member, Question
from flows.parsing import parse_free_text

VERSION = 1
MAX_ANSWER = 2000


def _answer(text: str, ask: Ask) -> str:
    return parse_free_text(text, max_length=MAX_ANSWER)


ITEMS: tuple[Question, ...] = (
    # Normally known from the notification; here so that /language works as in any flow.
    LANGUAGE,
    Question("answer", Kind.TEXT, parse=_answer),
    Question("documents", Kind.FILES, optional=True),
)


def build(answers: Answers, members: Sequence[Member], ask: Ask) -> dict[str, object]:
    """The reply as JSON-ready data; the documents go with it as document ids."""
    return {"schema_version": 1, "number": answers.get("number"), "answer": answers.get("answer")}


REPLY = Flow(
    name="reply",
    version=VERSION,
    items=ITEMS,
    build=build,
    given=("number",),
    consented_before=True,
)
