"""The bot's command menus: setMyCommands, getMyCommands and deleteMyCommands by scope and language."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tests.fakes.telegram_api.errors import bad

if TYPE_CHECKING:
    from tests.fakes.telegram_api.server import BotApiEmulator

_BOT_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")


def commands_key(params: dict[str, Any]) -> str:
    """The key in :attr:`commands`: "{scope}/{language_code}", e.g. "default/zh" or "chat:42/"."""
    scope = params.get("scope") or {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad("can't parse BotCommandScope JSON object")
    name = str(scope["type"])
    for key in ("chat_id", "user_id"):
        if key in scope:
            name += f":{scope[key]}"
    language = str(params.get("language_code") or "")
    if language and not re.match(r"^[a-z]{2}$", language):
        raise bad("invalid language code specified")
    return f"{name}/{language}"


async def set_my_commands(emulator: BotApiEmulator, params: dict[str, Any]) -> bool:
    """setMyCommands."""
    commands = params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad("can't parse commands JSON object")
    for command in commands:
        if not isinstance(command, dict) or not _BOT_COMMAND_NAME_RE.match(str(command.get("command", ""))):
            raise bad("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description") or "")) <= 256:
            raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
    key = commands_key(params)
    if commands:
        emulator.commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
    else:
        emulator.commands.pop(key, None)
    return True


async def get_my_commands(emulator: BotApiEmulator, params: dict[str, Any]) -> list[dict[str, Any]]:
    """getMyCommands."""
    return list(emulator.commands.get(commands_key(params), []))


async def delete_my_commands(emulator: BotApiEmulator, params: dict[str, Any]) -> bool:
    """deleteMyCommands."""
    emulator.commands.pop(commands_key(params), None)
    return True
