"""The reply flow as a resident sees it: started from "Reply now" with the application's number."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flows import events as ev
from flows.engine import Engine
from flows.intents import DiscardData, SetLocale, SubmitApplication
from flows.reply import MAX_ANSWER, REPLY
from tests.flows.helpers import NOW, Transcript, demo_context, rendered

NUMBER = "YM20261129000001"
ANSWER = "My disability certificate is being reissued; I will send it next week."


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(REPLY, demo_context())


def start(engine: Engine, locale: str = "en") -> Transcript:
    chat = Transcript(engine, engine.new_session(NOW, locale, {"number": NUMBER}))
    chat.send("/start")
    return chat


def test_english_reply_with_a_document(engine, translations):
    chat = start(engine)
    assert chat.keys == ["reply.welcome", "reply.answer.prompt"]
    assert chat.replies[0].params == {"number": NUMBER}
    assert NUMBER in rendered(chat, translations, "en")[0]
    assert chat.replies[-1].free_text

    chat.send(ANSWER)
    assert chat.keys == ["reply.documents.prompt"]
    assert [o.key for o in chat.replies[-1].options] == ["common.skip"]

    chat.send(ev.FileUpload("doc-1", "certificate.jpg", 100))
    assert chat.keys == ["documents.received", "reply.documents.prompt"]
    assert not chat.of(DiscardData)
    assert [o.key for o in chat.replies[-1].options] == ["common.done"]

    chat.send(ev.Choice("_done"))
    assert chat.keys == ["reply.summary"]
    text = rendered(chat, translations, "en")[0]
    assert NUMBER in text and ANSWER in text and "Documents: 1" in text

    chat.send(ev.Choice("_confirm"))
    assert chat.of(SubmitApplication) == [
        SubmitApplication(
            {
                "schema_version": 1,
                "number": NUMBER,
                "answer": ANSWER,
                "submitted_at": NOW.isoformat(),
                "locale": "en",
            },
            ("doc-1",),
        )
    ]

    chat.send(ev.ApplicationSubmitted(NUMBER, "2026-12-09"))
    assert chat.keys == ["reply.receipt"]
    assert f"sent to the caseworker handling application {NUMBER}" in rendered(chat, translations, "en")[0]
    assert chat.session.state == "submitted"


def test_chinese_reply_without_documents(engine, translations):
    chat = start(engine, "zh_CN")
    assert f"编号：{NUMBER}" in rendered(chat, translations, "zh_CN")[0]
    chat.send("  残疾人证正在补办，下周可以拿到。 ")
    chat.send(ev.Choice("_done"))
    assert chat.keys == ["reply.summary"]
    assert "补充材料：0份" in rendered(chat, translations, "zh_CN")[0]

    chat.send(ev.Choice("_confirm"))
    [submit] = chat.of(SubmitApplication)
    assert submit.payload["answer"] == "残疾人证正在补办，下周可以拿到。"
    assert submit.payload["locale"] == "zh_CN" and submit.document_ids == ()

    chat.send(ev.ApplicationSubmitted(NUMBER, "2026-12-09"))
    assert f"负责办理申请 {NUMBER} 的工作人员" in rendered(chat, translations, "zh_CN")[0]


def test_a_document_sent_with_the_answer_is_kept_without_a_consent_question(engine):
    chat = start(engine)
    chat.send(ev.FileUpload("doc-1", "certificate.jpg", 100))
    assert chat.keys == ["documents.kept_early", "reply.answer.prompt"]
    assert not chat.of(DiscardData)
    assert chat.session.documents == ["doc-1"]

    chat.send(ANSWER)
    chat.send(ev.FileUpload("doc-2", "bill.pdf", 100))
    chat.send(ev.Choice("_done"))
    chat.send(ev.Choice("_confirm"))
    [submit] = chat.of(SubmitApplication)
    assert submit.document_ids == ("doc-1", "doc-2")


def test_an_empty_or_overlong_answer_is_asked_again(engine):
    chat = start(engine)
    chat.send("   ")
    assert chat.keys == ["error.text.empty", "reply.answer.prompt"]
    chat.send("x" * (MAX_ANSWER + 1))
    assert chat.keys == ["error.text.too_long", "reply.answer.prompt"]
    assert chat.replies[0].params == {"max": MAX_ANSWER}
    assert chat.session.state == "answer" and "answer" not in chat.session.answers
    chat.send("x" * MAX_ANSWER)
    assert chat.keys == ["reply.documents.prompt"]


def test_cancelling_midway_discards_the_answer_and_documents(engine):
    chat = start(engine)
    chat.send(ANSWER)
    chat.send(ev.FileUpload("doc-1", "certificate.jpg", 100))
    chat.send("/cancel")
    assert chat.keys == ["cancel.confirm"]
    chat.send(ev.Choice("_yes"))
    assert chat.keys == ["cancel.done"]
    assert chat.of(DiscardData) == [DiscardData(("doc-1",))]
    assert chat.session.state == "cancelled"
    # The number is what the flow was about, not the resident's answer.
    assert chat.session.answers == {"number": NUMBER, "language": "en"}
    assert chat.session.documents == []


def test_the_reminder_names_the_application(engine, translations):
    chat = start(engine)
    chat.now = NOW + timedelta(hours=25)
    chat.send(ev.Tick())
    assert chat.keys == ["reply.reminder", "reply.answer.prompt"]
    assert NUMBER in rendered(chat, translations, "en")[0]


def test_after_expiry_a_new_message_starts_the_reply_again_for_the_same_application(engine):
    chat = start(engine)
    chat.send(ANSWER)
    chat.now = NOW + timedelta(days=31)
    chat.send("hello")
    assert chat.keys == ["reply.expired", "reply.welcome", "reply.answer.prompt"]
    assert chat.replies[1].params == {"number": NUMBER}
    assert chat.session.answers == {"number": NUMBER, "language": "en"}


def test_the_language_can_be_changed_and_the_reply_goes_on(engine):
    chat = start(engine)
    chat.send("/language")
    assert chat.keys == ["reply.language.prompt"]
    chat.send(ev.Choice("zh_CN"))
    assert chat.of(SetLocale) == [SetLocale("zh_CN")]
    assert chat.keys == ["reply.answer.prompt"]
    assert chat.session.answers["number"] == NUMBER


def test_the_edit_menu_offers_the_answer_and_documents_only(engine):
    chat = start(engine)
    chat.send(ANSWER)
    chat.send(ev.Choice("_done"))
    chat.send(ev.Choice("_change"))
    assert [o.value for o in chat.replies[-1].options] == ["q:answer", "q:documents", "_back"]
    chat.send(ev.Choice("q:answer"))
    chat.send("Corrected answer.")
    assert chat.keys == ["reply.summary"]
    assert chat.replies[-1].params["application"]["answer"] == "Corrected answer."


def test_a_document_that_opens_the_conversation_is_kept(engine):
    chat = Transcript(engine, engine.new_session(NOW, "en", {"number": NUMBER}))
    chat.send(ev.FileUpload("doc-1", "certificate.jpg", 100))
    assert chat.keys == ["documents.kept_early", "reply.welcome", "reply.answer.prompt"]
    assert not chat.of(DiscardData)
    assert chat.session.documents == ["doc-1"]
