"""Named funds over HTTP: opened by managers, money in and out by staff, read by their holder, audited."""

from __future__ import annotations

from tests.api.conftest import auth
from tests.cases.helpers import NOW, payload, submit

FUND = {"code": "minghu-market", "name": "明湖超市助学基金", "holder": "enterprise", "holder_ref": "e1"}


async def post(client, token, path, body):
    response = await client.post(path, json=body, headers=auth(token))
    return response.status, await response.json()


async def get(client, token, path):
    response = await client.get(path, headers=auth(token))
    return response.status, await response.json()


MARKET = "/api/v1/funds/minghu-market"


async def enter(client, token, kind, body):
    """Post an entry of ``kind`` (donations, spending, corrections) to the fund FUND opens."""
    return await post(client, token, f"{MARKET}/{kind}", body)


async def correct(client, token, answer, reason):
    """Post the correction of the entry in ``answer`` (the answer to its post)."""
    return await enter(client, token, "corrections", {"entry": answer["entry"]["id"], "reason": reason})


ZERO = {"donation": "0.00", "spending": "0.00", "correction": "0.00"}


async def test_a_fund_takes_donations_and_spending_and_shows_its_statement(client, tokens, database):
    number = await submit(database, payload())
    status, body = await post(client, tokens["boss"], "/api/v1/funds", FUND)
    assert status == 201, body
    assert body == {**FUND, "created_by": "boss", "created_at": NOW.isoformat().replace("+00:00", "Z"),
                    "balance": "0.00", "totals": ZERO, "entries": []}
    status, body = await enter(client, tokens["wang"], "donations",
                               {"amount": "1000", "ref": "receipt 2026-118", "note": "开业捐赠"})
    assert status == 201, body
    assert body["balance"] == "1000.00"
    assert {k: body["entry"][k] for k in ("kind", "amount", "ref", "note", "by")} == {
        "kind": "donation", "amount": "1000.00", "ref": "receipt 2026-118", "note": "开业捐赠", "by": "wang"}
    status, body = await enter(client, tokens["zhao"], "spending", {"amount": 250.5, "ref": number})
    assert status == 201 and body["balance"] == "749.50" and body["entry"]["kind"] == "spending"
    status, shown = await get(client, tokens["li"], MARKET)
    assert status == 200 and shown["balance"] == "749.50"
    assert [(e["kind"], e["amount"]) for e in shown["entries"]] == [("spending", "250.50"), ("donation", "1000.00")]


async def test_spending_beyond_the_balance_is_refused_naming_the_amount(client, tokens):
    await post(client, tokens["root"], "/api/v1/funds", FUND)
    await enter(client, tokens["wang"], "donations", {"amount": "10", "ref": "d"})
    status, body = await enter(client, tokens["wang"], "spending", {"amount": "10.01", "ref": "warm_winter"})
    assert status == 422
    assert body["error"] == "refused" and body["fields"][0]["field"] == "amount" and "10.00" in body["message"]
    assert (await get(client, tokens["wang"], MARKET))[1]["balance"] == "10.00"


async def test_errors_name_what_is_wrong(client, tokens):
    assert (await post(client, tokens["boss"], "/api/v1/funds", FUND))[0] == 201
    status, body = await post(client, tokens["root"], "/api/v1/funds", {**FUND, "name": "another"})
    assert status == 409 and body["error"] == "duplicate" and body["fields"][0]["field"] == "code"
    for amount in ("0", "-1", "1.234", "abc", "100000000000"):
        status, body = await enter(client, tokens["wang"], "donations", {"amount": amount, "ref": "d"})
        assert status == 422 and body["error"] == "invalid" and body["fields"][0]["field"] == "amount", (amount, body)
    status, body = await enter(client, tokens["wang"], "spending", {"amount": "1"})
    assert status == 422 and body["fields"][0]["field"] == "ref"
    status, body = await enter(client, tokens["wang"], "donations", {"amount": "1", "ref": "correction:3"})
    assert status == 422 and body["error"] == "refused" and body["fields"][0]["field"] == "ref"
    for bad in ({"holder": "resident"}, {"code": "../x"}, {"code": "x" * 49}, {"holder_ref": ""}):
        status, body = await post(client, tokens["boss"], "/api/v1/funds", {**FUND, "code": "fresh", **bad})
        assert status == 422 and body["fields"][0]["field"] == next(iter(bad)), body
    for path in ("/api/v1/funds/nowhere/donations", "/api/v1/funds/nowhere/spending"):
        status, body = await post(client, tokens["wang"], path, {"amount": "1", "ref": "d"})
        assert status == 404 and body["error"] == "not_found"
    assert (await get(client, tokens["wang"], "/api/v1/funds/nowhere"))[0] == 404


async def test_a_spending_names_a_real_project_or_application(client, tokens, database):
    await post(client, tokens["boss"], "/api/v1/funds", FUND)
    await enter(client, tokens["wang"], "donations", {"amount": "100", "ref": "d"})
    for ref in ("HB-2026-000123", "YM20261129000001", "warm-winter"):
        status, body = await enter(client, tokens["wang"], "spending", {"amount": "5", "ref": ref})
        assert status == 422 and body["fields"][0]["field"] == "ref" and ref in body["message"], body
    number = await submit(database, payload())
    for ref in (number, "warm_winter"):
        status, body = await enter(client, tokens["wang"], "spending", {"amount": "5", "ref": ref})
        assert status == 201 and body["entry"]["ref"] == ref, body
    assert (await get(client, tokens["wang"], MARKET))[1]["balance"] == "90.00"


async def test_corrections_count_as_neither_donations_nor_spending(client, tokens):
    await post(client, tokens["boss"], "/api/v1/funds", FUND)
    _, gift = await enter(client, tokens["wang"], "donations", {"amount": "1000", "ref": "d"})
    _, spent = await enter(client, tokens["wang"], "spending", {"amount": "300", "ref": "warm_winter"})
    _, wrong = await enter(client, tokens["wang"], "donations", {"amount": "50", "ref": "d"})
    for entry in (spent, wrong):
        status, _ = await correct(client, tokens["boss"], entry, "录入错误")
        assert status == 201
    status, shown = await get(client, tokens["wang"], MARKET)
    assert status == 200 and shown["balance"] == "1000.00"
    assert shown["totals"] == {"donation": "1050.00", "spending": "300.00", "correction": "250.00"}
    assert [(e["kind"], e["amount"]) for e in shown["entries"][:2]] == [("correction", "-50.00"),
                                                                       ("correction", "300.00")]
    assert gift["entry"]["kind"] == "donation"


async def test_a_merchant_reads_only_the_funds_it_holds(client, tokens):
    await post(client, tokens["boss"], "/api/v1/funds", FUND)
    await post(client, tokens["boss"], "/api/v1/funds",
               {"code": "shop-fund", "name": "小店基金", "holder": "merchant", "holder_ref": "shop"})
    status, body = await get(client, tokens["shop"], "/api/v1/funds/shop-fund")
    assert status == 200 and body["holder_ref"] == "shop"
    status, body = await get(client, tokens["shop"], MARKET)
    assert status == 403 and body["error"] == "forbidden"
    status, _ = await post(client, tokens["shop"], "/api/v1/funds/shop-fund/donations", {"amount": "1", "ref": "d"})
    assert status == 403  # reading is all a merchant does here


async def test_a_supervisor_corrects_an_entry_once(client, tokens):
    await post(client, tokens["boss"], "/api/v1/funds", FUND)
    _, wrong = await enter(client, tokens["wang"], "donations", {"amount": "300", "ref": "d"})
    status, _ = await correct(client, tokens["wang"], wrong, "typo")
    assert status == 403
    status, body = await correct(client, tokens["boss"], wrong, "应为 30 元")
    assert status == 201 and body["balance"] == "0.00"
    assert (body["entry"]["kind"], body["entry"]["amount"], body["entry"]["ref"], body["entry"]["note"]) == (
        "correction", "-300.00", f"correction:{wrong['entry']['id']}", "应为 30 元")
    status, body = await correct(client, tokens["boss"], wrong, "again")
    assert status == 422 and body["fields"][0]["field"] == "entry"


async def test_every_write_is_audited(client, tokens, database):
    await post(client, tokens["boss"], "/api/v1/funds", FUND)
    _, given = await enter(client, tokens["wang"], "donations", {"amount": "50", "ref": "d"})
    _, spent = await enter(client, tokens["li"], "spending", {"amount": "20", "ref": "warm_winter"})
    _, fixed = await correct(client, tokens["root"], spent, "refunded")
    await enter(client, tokens["li"], "spending", {"amount": "999", "ref": "x"})  # refused
    await get(client, tokens["wang"], MARKET)
    async with database.unit_of_work() as uow:
        trail = await uow.audit.for_target("fund:minghu-market")
    assert [(a.actor, a.action, a.details) for a in trail] == [
        ("boss", "fund.create", {"holder": "enterprise", "holder_ref": "e1"}),
        ("wang", "fund.donation", {"entry": given["entry"]["id"], "kind": "donation", "amount": "50.00"}),
        ("li", "fund.spending", {"entry": spent["entry"]["id"], "kind": "spending", "amount": "20.00"}),
        ("root", "fund.correction", {"entry": fixed["entry"]["id"], "kind": "correction", "amount": "20.00"}),
    ]


async def test_the_openapi_document_shows_the_fund_endpoints(client):
    document = await (await client.get("/api/v1/openapi.json")).json()
    assert set(document["paths"]["/api/v1/funds/{code}"]) == {"get"}
    spending = document["paths"]["/api/v1/funds/{code}/spending"]["post"]
    assert spending["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/FundEntryIn")
    assert {"201", "404", "422"} <= set(spending["responses"])
    assert "409" in document["paths"]["/api/v1/funds"]["post"]["responses"]
    amount = document["components"]["schemas"]["FundEntryIn"]["properties"]["amount"]
    assert "CNY" in amount["description"]
