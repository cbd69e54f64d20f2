"""The Bot API method table: each method name the emulator answers and its handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.fakes.telegram_api import callbacks, commands, editing, files, sending, updates, webhook

if TYPE_CHECKING:
    from tests.fakes.telegram_api.server import BotApiEmulator


async def get_me(emulator: BotApiEmulator, params: dict[str, Any]) -> dict[str, Any]:
    """getMe."""
    return {
        **emulator._bot_user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


HANDLERS: dict[str, Callable[[BotApiEmulator, dict[str, Any]], Any]] = {
    "getMe": get_me,
    "getUpdates": updates.get_updates,
    "setWebhook": webhook.set_webhook,
    "deleteWebhook": webhook.delete_webhook,
    "getWebhookInfo": webhook.get_webhook_info,
    "sendMessage": sending.send_message,
    "sendPhoto": sending.send_photo,
    "sendDocument": sending.send_document,
    "editMessageText": editing.edit_message_text,
    "editMessageCaption": editing.edit_message_caption,
    "editMessageReplyMarkup": editing.edit_message_reply_markup,
    "deleteMessage": editing.delete_message,
    "sendChatAction": sending.send_chat_action,
    "answerCallbackQuery": callbacks.answer_callback_query,
    "getFile": files.get_file,
    "setMyCommands": commands.set_my_commands,
    "getMyCommands": commands.get_my_commands,
    "deleteMyCommands": commands.delete_my_commands,
}
METHOD_NAMES = {name.lower(): name for name in HANDLERS}
