"""A WeChat Official Account platform emulator over real HTTP on loopback.

Usage:

    async with WeChatEmulator() as platform:
        platform.server_url = "http://127.0.0.1:8080/wechat"   # where Yimen answers pushes
        alice = platform.follower("o_alice")
        await alice.send_text("你好")
        # alice.received(): passive replies, customer-service and template messages, in arrival order

Behaviour in brief:

* Pushes: a follower's message or event is XML signed with the server token (``signature``,
  ``timestamp``, ``nonce`` in the query) and, in safe mode (``aes_key``), encrypted with
  ``msg_signature`` and ``encrypt_type=aes``, POSTed to ``server_url``. With no answer within
  ``push_timeout`` seconds (5, as WeChat) the connection is dropped and the same message pushed
  again, up to ``push_retries`` (3) more times. A non-empty answer other than ``success`` is read as
  the passive reply (decrypted in safe mode); only the answer of the attempt that got one counts.
* API: ``/cgi-bin/token``, ``message/custom/send`` (text and msgmenu), ``message/template/send``,
  ``media/upload`` and ``media/get``, ``menu/create``, ``qrcode/create``. Errors are
  ``{"errcode": N, "errmsg": ...}``: 40001/40014 for an unknown token, 42001 for an expired one,
  45015 outside the 48-hour window (``close_window``), 45047 over ``custom_cap`` customer-service
  messages since the follower last wrote.
* Faults: ``fail_next(code, times, path=...)`` answers the next calls with an error code, or
  "drop" (connection closed unanswered), "slow" (held back ``slow_seconds``); ``fault_rate`` with
  a seeded random fails that share of calls with -1 or a dropped connection, before they take
  effect. Every call is recorded in ``calls``.
"""

from __future__ import annotations

from tests.fakes.wechat_api.followers import Delivery, Follower
from tests.fakes.wechat_api.records import ApiCall, Received
from tests.fakes.wechat_api.server import WeChatEmulator

__all__ = ["ApiCall", "Delivery", "Follower", "Received", "WeChatEmulator"]
