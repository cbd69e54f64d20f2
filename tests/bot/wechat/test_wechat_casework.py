"""A caseworker's request for information answered over WeChat: the question arrives by the
customer-service API, the follower replies by number, text and a picture, and the caseworker
sees the answer and the picture on the case's thread."""

from __future__ import annotations

from datetime import timedelta

from backend.cases.thread import EntryKind
from tests.bot import casework
from tests.bot.wechat.driver import option, say, settled
from tests.cases.helpers import NOW, add_staff

QUESTION = "请补充最近三个月的医院收费单据"
ANSWER = "单据已拍照上传，三个月共花了三千二百元"


async def test_a_request_for_information_is_answered_over_wechat(platform, channel, database, wechat_conversations,
                                                                 clock):
    wang = await add_staff(database, "wang", display_name="王芳")
    _, number = await casework.applied(wechat_conversations, database, "wechat", "o_household", locale="zh_CN")
    follower = platform.follower("o_household")
    await say(database, channel, follower, "/status")
    await casework.acted(wechat_conversations, database, clock, wang, number, casework.START_REVIEW,
                         casework.request_info(QUESTION))
    await settled(database, channel, follower)
    asked = follower.received()[-1]
    assert asked.kind == "custom" and QUESTION in asked.text
    await say(database, channel, follower, option(follower.texts(), "立即回复"))
    await say(database, channel, follower, ANSWER)
    await follower.send_image(b"\xff\xd8\xff\xe0 a photo of the bills")
    await settled(database, channel, follower)
    assert [c.path for c in platform.calls if "media" in c.path] == ["/cgi-bin/media/get"]
    await say(database, channel, follower, option(follower.texts(), "完成"))
    await say(database, channel, follower, option(follower.texts(), "确认提交"))
    async with database.unit_of_work() as uow:
        entries = await wechat_conversations.services.backend.cases.thread(uow, wang.user, number,
                                                                           now=NOW + timedelta(hours=1))
        await uow.commit()
    messages = [(e.body, len(e.document_ids)) for e in entries if e.kind is EntryKind.MESSAGE]
    assert messages == [(QUESTION, 0), (ANSWER, 1)]
