"""The conversation runner: routes a resident's message to a side handler or the turn proper."""

from bot.runner.context import Preset
from bot.runner.runner import Conversations, DocumentTooLarge, Picked, Pressed

__all__ = ["Conversations", "DocumentTooLarge", "Picked", "Preset", "Pressed"]
