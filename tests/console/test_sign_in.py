"""Signing in: argon2 passwords, a session cookie that scripts cannot read and other sites cannot
send, CSRF on every form (sign-in included), lock-out after repeated failures, signing out."""

from __future__ import annotations

from datetime import timedelta

from backend.cases.ports import Role
from backend.console.signin import MAX_FAILURES, PER_NAME
from backend.staff.accounts import set_password
from backend.staff.passwords import hash_password, verify_password
from tests.cases.helpers import NOW, add_staff
from tests.console.conftest import PASSWORD, console_application, csrf_in, post_form, sign_in


async def test_a_password_is_stored_only_as_an_argon2_hash(database, staff):
    async with database.unit_of_work() as uow:
        found = await uow.console.credentials("wang")
    assert found.password_hash.startswith("$argon2id$") and PASSWORD not in found.password_hash
    assert verify_password(found.password_hash, PASSWORD) and not verify_password(found.password_hash, "nope")
    assert not verify_password(None, PASSWORD)  # an account without a password never signs in
    assert hash_password(PASSWORD) != hash_password(PASSWORD)  # salted


async def test_signing_in_sets_an_httponly_samesite_session_cookie(client, staff):
    page = await client.get("/console/sign-in")
    response = await client.post("/console/sign-in", allow_redirects=False, data={
        "csrf": csrf_in(await page.text()), "username": "wang", "password": PASSWORD, "next": "/console/cases/x"})
    assert response.status == 303 and response.headers["Location"] == "/console/cases/x"
    cookie = response.cookies["yimen_console"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/console"
    assert (await client.get("/console/queue")).status == 200


async def test_pages_need_a_session(client, staff):
    response = await client.get("/console/queue?layer=dibao&status=proposed", allow_redirects=False)
    assert response.status == 303
    # The whole address to come back to, filters included, is one parameter.
    assert response.headers["Location"] == "/console/sign-in?next=/console/queue?layer%3Ddibao%26status%3Dproposed"
    assert (await client.post("/console/cases/YM1/notes", data={"body": "x"})).status == 403


async def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client, staff):
    wrong = await sign_in(client, "wang", "not the password")
    unknown = await sign_in(client, "nobody", "not the password")
    assert wrong.status == unknown.status == 401
    assert "Wrong username or password" in await wrong.text() and "Wrong username or password" in await unknown.text()


async def test_service_accounts_cannot_sign_in_and_merchants_land_on_their_page(client, staff, database):
    await add_staff(database, "bot", Role.BOT_SERVICE, None)
    async with database.unit_of_work() as uow:
        await set_password(uow, "bot", PASSWORD)
        await uow.commit()
    assert (await sign_in(client, "bot")).status == 401
    merchant = await sign_in(client, "shop")
    assert merchant.status == 200 and merchant.url.path == "/console/merchant"


async def test_five_failures_lock_the_account_even_against_the_right_password(config, database, staff,
                                                                              aiohttp_client_for):
    clock = _Clock()
    client = await aiohttp_client_for(console_application(config, database, clock=clock))
    for _ in range(MAX_FAILURES - 1):
        assert (await sign_in(client, "wang", "guess")).status == 401
    locked = await sign_in(client, "wang", "guess")
    assert locked.status == 429 and "locked for 1 min" in await locked.text()
    assert (await sign_in(client, "wang")).status == 429  # the right password, refused unchecked
    clock.now += PER_NAME.first_block + timedelta(seconds=1)
    assert (await sign_in(client, "wang")).status == 200
    async with database.unit_of_work() as uow:
        audit = [e.action for e in await uow.audit.for_target("console")]
    assert audit.count("console.sign_in_failed") == MAX_FAILURES and "console.sign_in_locked" in audit
    assert audit[-1] == "console.sign_in"


async def test_the_sign_in_form_itself_needs_its_csrf_token(client, staff):
    await client.get("/console/sign-in")
    response = await client.post("/console/sign-in", data={"csrf": "forged", "username": "wang", "password": PASSWORD})
    assert response.status == 403 and "yimen_console" not in response.cookies


async def test_a_form_without_or_with_a_wrong_token_or_from_another_site_is_refused(client, staff, database):
    from tests.cases.helpers import payload, submit

    number = await submit(database, payload(1))
    await sign_in(client, "wang")
    assert (await client.post(f"/console/cases/{number}/notes", data={"body": "a"})).status == 403
    assert (await client.post(f"/console/cases/{number}/notes", data={"body": "a", "csrf": "x"})).status == 403
    page = await client.get(f"/console/cases/{number}")
    token = csrf_in(await page.text())
    other_site = await client.post(f"/console/cases/{number}/notes", data={"body": "a", "csrf": token},
                                   headers={"Origin": "https://evil.example"})
    assert other_site.status == 403
    ok = await client.post(f"/console/cases/{number}/notes", data={"body": "a", "csrf": token})
    assert ok.status == 200 and "The note is added" in await ok.text()
    async with database.unit_of_work() as uow:
        assert [n.body for n in await uow.cases.notes(number)] == ["a"]


async def test_signing_out_ends_the_session_on_the_server(client, staff):
    await sign_in(client, "wang")
    token = client.session.cookie_jar.filter_cookies(client.make_url("/console/queue"))["yimen_console"].value
    response = await post_form(client, "/console/sign-out", "/console/queue")
    assert "You have signed out" in await response.text()
    client.session.cookie_jar.update_cookies({"yimen_console": token})  # the old cookie, replayed
    assert (await client.get("/console/queue", allow_redirects=False)).status == 303


async def test_a_new_password_ends_every_session_and_lifts_a_lock(client, staff, database):
    from backend.staff.accounts import set_password

    await sign_in(client, "wang")
    async with database.unit_of_work() as uow:
        await set_password(uow, "wang", "another long password")
        await uow.commit()
    assert (await client.get("/console/queue", allow_redirects=False)).status == 303


async def test_pages_are_not_cached_and_allow_no_foreign_script(client, staff):
    await sign_in(client, "wang")
    page = await client.get("/console/queue")
    assert page.headers["Cache-Control"] == "no-store"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "://" not in await page.text()  # nothing loaded from another site


class _Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now
