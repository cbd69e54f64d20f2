"""A charity merchant's page: redeem the code a volunteer shows, see the redemptions made.

The same ledger step as the API and ``/redeem`` on Telegram: the code is one-time and checked by
the database (of two merchants confirming one code, exactly one succeeds), and each redemption is
audited. A merchant sees only its own account: the guard keeps it off every other page.
"""

from __future__ import annotations

import re

from aiohttp import web

from backend.app_keys import PACK
from backend.cases.ports import Role
from backend.console.common import database_of, form_of, now_of, redirect, render, user_of
from backend.console.security import MERCHANT_HOME
from backend.points.ledger import Ledger, LedgerError
from backend.points.ports import Holder
from backend.store.errors import Forbidden

LIMIT = 50
# The ledger's codes are 8 digits; spaces a merchant types between groups are dropped.
_CODE = re.compile(r"\d{8}")


def _merchant(request: web.Request) -> str:
    user = user_of(request)
    if user.role is not Role.MERCHANT:
        raise Forbidden("a merchant's page")
    return user.username


async def merchant_page(request: web.Request) -> web.Response:
    merchant = _merchant(request)
    ledger = Ledger(request.config_dict[PACK])
    async with database_of(request).unit_of_work() as uow:
        account, balance = await ledger.balance(uow, Holder.MERCHANT, merchant)
        entries = await uow.points.entries(account.id, limit=LIMIT) if account else []
    # The redemption just made, found among this merchant's own entries (a link cannot show another's).
    redeemed = next((e for e in entries if e.txn == request.query.get("redeemed") and e.cause == "redemption"), None)
    return render(request, "merchant.html.j2", {"balance": balance, "entries": entries, "redeemed": redeemed,
                                                "minutes": int(ledger.code_ttl.total_seconds() // 60)})


async def redeem(request: web.Request) -> web.StreamResponse:
    merchant = _merchant(request)
    user = user_of(request)
    code = "".join((await form_of(request)).get("code", "").split())
    if not _CODE.fullmatch(code):
        raise redirect(MERCHANT_HOME, error="console.refused.code_format")
    now = now_of(request)
    async with database_of(request).unit_of_work() as uow:
        try:
            txn, points = await Ledger(request.config_dict[PACK]).redeem(uow, merchant, user.display_name, code,
                                                                         by=merchant, now=now)
        except LedgerError:
            raise redirect(MERCHANT_HOME, error="console.refused.code") from None
        await uow.audit.record(actor=merchant, action="points.redemption", target=f"merchant:{merchant}",
                               details={"transaction": txn, "points": points, "channel": "console"}, at=now)
        await uow.commit()
    raise redirect(MERCHANT_HOME, redeemed=txn)
