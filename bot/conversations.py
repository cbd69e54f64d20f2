"""The conversation runner's names as they were imported before it became ``bot/runner/``."""

from bot.channels import PUSH_CHANNELS, TRANSCRIPT_CHANNELS
from bot.outbound import Button, Outbound
from bot.runner import Conversations, DocumentTooLarge, Preset, Pressed

__all__ = ["PUSH_CHANNELS", "TRANSCRIPT_CHANNELS", "Button", "Conversations", "DocumentTooLarge", "Outbound",
           "Preset", "Pressed"]
