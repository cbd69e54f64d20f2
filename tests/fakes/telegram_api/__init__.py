"""A Telegram Bot API emulator: a loopback aiohttp server that python-telegram-bot can talk to."""

# Usage:
#
#     async with BotApiEmulator() as emulator:
#         app = (
#             Application.builder()
#             .token(emulator.token)
#             .base_url(f"{emulator.url}/bot")
#             .base_file_url(f"{emulator.url}/file/bot")
#             .build()
#         )
#         alice = emulator.user(1001)
#         await alice.send("/start")
#         messages = await emulator.wait_for(alice.id, 1)
#
# Behaviour in brief:
#
# * URLs are /bot{token}/{method} (method names case-insensitive, any HTTP verb) and
#   /file/bot{token}/{file_path}. Parameters come from the query string, a JSON body, an url-encoded
#   form or a multipart form. python-telegram-bot sends *everything* as form fields (json.dumps of
#   non-string values, never a JSON body), so JSON-valued fields (reply_markup, allowed_updates,
#   commands, scope, reply_parameters, ...) are decoded and numeric/boolean fields coerced.
# * Answers are {"ok": true, "result": ...} or {"ok": false, "error_code": N, "description": "...",
#   "parameters": {...}} with HTTP status N. A wrong but well-formed token gets 401, a malformed one
#   and an unknown method 404. A bug in the emulator answers 500 and is kept in `internal_errors`.
# * Flood limits: token buckets per chat (capacity `chat_burst`, refill `chat_rate`/s) and overall
#   (`global_burst`, `global_rate`/s), on the injectable `clock`. Sends and edits take a token from
#   both; without one the call gets 429 with retry_after (whole seconds until a token, at least 1)
#   and a line in `flood_violations`. answerCallbackQuery, sendChatAction and getters are free.
# * Faults (fail_next / fail): "429", "500", "502", "403" and "drop" (connection closed, no
#   response; ApiCall.status 0) never take effect. "slow" takes effect at once and holds the answer
#   back `slow_seconds`; "drop_after" takes effect and then closes the connection unanswered (the
#   "did my message go out?" case). Updates are only ever discarded when a later getUpdates offset
#   confirms them, so no getUpdates fault loses an update. Downloads are faultable as "download".
# * Webhook: updates are POSTed one at a time in update_id order; a non-2xx answer or a connection
#   error is retried after `webhook_retry_delay`, doubling up to `webhook_max_retry_delay`.
# * `commands` keys are "{scope}/{language_code}": "default/zh", "default/" (no language),
#   "chat:42/en".
# * getFile refuses files whose (possibly overridden) size exceeds `max_download_bytes` (20 MB, as
#   Telegram does) with "file is too big"; set it to None to lift the limit.
# * A SimUser who sends anything has started the bot and is unblocked (as "Restart bot" does);
#   `user(..., started=False)` makes a user the bot cannot message first (403).
# * Deliberate deviations from the real API: parse_mode="HTML" rejects a bare "&" that does not
#   start &lt; &gt; &amp; &quot; &#N; &#xH; (Telegram lets it through as text); Markdown and
#   MarkdownV2 are accepted but not parsed (plain_text is the raw text); http webhook URLs are
#   accepted; callback queries never expire by time; blocking sends no my_chat_member update;
#   photo thumbnails download as the full picture.

from __future__ import annotations

from tests.fakes.telegram_api.calls import ApiCall
from tests.fakes.telegram_api.errors import ApiError
from tests.fakes.telegram_api.formatting import parse_html
from tests.fakes.telegram_api.messages import SentMessage
from tests.fakes.telegram_api.samples import PNG
from tests.fakes.telegram_api.server import BotApiEmulator
from tests.fakes.telegram_api.users import SimUser

__all__ = ["PNG", "ApiCall", "ApiError", "BotApiEmulator", "SentMessage", "SimUser", "parse_html"]
