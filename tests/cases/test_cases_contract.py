"""Contract of the office-side ports, run on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.cases.lifecycle import CaseStatus
from backend.cases.ports import CaseQuery, DuplicateUser, Role, StoredResponse, Transition
from backend.staff.accounts import AccountError, authenticate, rotate_token
from tests.cases.helpers import NOW, PACK, add_staff, payload, submit


class TestUsers:
    async def test_a_token_authenticates_until_it_is_rotated_or_the_user_deactivated(self, database):
        account = await add_staff(database, "wang", display_name="王芳", telegram_id="4242")
        async with database.unit_of_work() as uow:
            user = await authenticate(uow, account.token)
            assert (user.username, user.display_name, user.role, user.office) == (
                "wang", "王芳", Role.CASEWORKER, "hubin"
            )
            assert await authenticate(uow, account.token + "x") is None
            fresh = await rotate_token(uow, "wang")
            await uow.commit()
        async with database.unit_of_work() as uow:
            assert await authenticate(uow, account.token) is None
            assert (await authenticate(uow, fresh)).username == "wang"
            await uow.users.update("wang", active=False)
            await uow.commit()
        async with database.unit_of_work() as uow:
            assert await authenticate(uow, fresh) is None

    async def test_only_a_hash_of_the_token_is_stored(self, database):
        account = await add_staff(database, "wang")
        async with database.engine.connect() as connection:
            from sqlalchemy import text

            stored = (await connection.execute(text("SELECT token_hash FROM users"))).scalar_one()
        assert account.token.startswith("ym_") and account.token not in stored and len(stored) == 64

    async def test_usernames_and_telegram_ids_are_unique(self, database):
        await add_staff(database, "wang", telegram_id="1")
        with pytest.raises(DuplicateUser):
            await add_staff(database, "wang")
        with pytest.raises(DuplicateUser):
            await add_staff(database, "li", telegram_id="1")
        async with database.unit_of_work() as uow:
            assert [u.username for u in await uow.users.list()] == ["wang"]

    @pytest.mark.parametrize(
        ("role", "office", "message"),
        [
            (Role.CASEWORKER, None, "needs --office"),
            (Role.ADMIN, "hubin", "leave out --office"),
            (Role.CASEWORKER, "nowhere", "unknown office 'nowhere'"),
        ],
    )
    async def test_accounts_are_checked_against_the_pack(self, database, role, office, message):
        from backend.staff.accounts import add_user

        async with database.unit_of_work() as uow:
            with pytest.raises(AccountError, match=message):
                await add_user(uow, PACK.regions, username="x1", role=role, office=office, now=NOW)

    async def test_least_loaded_counts_only_open_cases_of_active_caseworkers(self, database):
        await add_staff(database, "wang")
        await add_staff(database, "li")
        await add_staff(database, "boss", Role.SUPERVISOR)
        first = await submit(database, payload(1), "r1")  # wang
        async with database.unit_of_work() as uow:
            assert (await uow.users.least_loaded("hubin")).username == "li"
            await uow.cases.transition(first, Transition(status=CaseStatus.WITHDRAWN, action="withdraw",
                                                         actor="wang", note="", at=NOW))
            assert (await uow.users.least_loaded("hubin")).username == "wang"
            assert await uow.users.least_loaded("hubin", on_duty=True) is None
            assert await uow.users.least_loaded("wenchang") is None


class TestCases:
    async def test_list_filters_pages_and_puts_emergencies_and_deadlines_first(self, database):
        numbers = [await submit(database, payload(i), f"r{i}", now=NOW + timedelta(minutes=i)) for i in range(1, 4)]
        urgent = await submit(database, payload(9, urgent=True), "r9", now=NOW + timedelta(minutes=9))
        other = await submit(database, payload(8, office="songlin"), "r8")
        async with database.unit_of_work() as uow:
            cases, total = await uow.cases.list(CaseQuery(office="hubin"), now=NOW)
            assert total == 4 and [c.number for c in cases] == [urgent, *numbers]
            page, total = await uow.cases.list(CaseQuery(office="hubin", limit=2, offset=2), now=NOW)
            assert total == 4 and [c.number for c in page] == numbers[1:]
            late = NOW + timedelta(days=2)
            assert [c.number for c in (await uow.cases.list(CaseQuery(overdue=True), now=late))[0]] == [urgent]
            assert (await uow.cases.list(CaseQuery(overdue=True), now=NOW))[1] == 0
            assert (await uow.cases.list(CaseQuery(emergency=False), now=NOW))[1] == 4
            assert [c.number for c in (await uow.cases.list(CaseQuery(office="songlin"), now=NOW))[0]] == [other]
            # All five households are alike: one unemployed adult on a small pension.
            level = cases[0].resilience_level
            assert {(c.layer, c.resilience_level, c.status) for c in cases} == {("dibao", level, CaseStatus.ASSESSED)}
            assert (await uow.cases.list(CaseQuery(layer="dibao", resilience_level=level,
                                                   status=CaseStatus.ASSESSED), now=NOW))[1] == 5
            assert (await uow.cases.list(CaseQuery(layer="tekun"), now=NOW))[1] == 0
            assert (await uow.cases.list(CaseQuery(resilience_level=level % 3 + 1), now=NOW))[1] == 0
            assert (await uow.cases.list(CaseQuery(status=CaseStatus.CLOSED), now=NOW))[1] == 0

    async def test_every_case_has_a_deadline_and_overdue_cases_lead_the_queue(self, database):
        # Submitted 60 days ago, past its deadline now; an emergency and a fresh case are not yet.
        old = await submit(database, payload(1), "r1", now=NOW - timedelta(days=60))
        fresh = await submit(database, payload(2), "r2")
        urgent = await submit(database, payload(3, urgent=True), "r3")
        async with database.unit_of_work() as uow:
            cases, _ = await uow.cases.list(CaseQuery(office="hubin"), now=NOW)
            assert [c.number for c in cases] == [old, urgent, fresh]
            assert all(c.deadline_at is not None for c in cases)
            assert [c.number for c in (await uow.cases.list(CaseQuery(overdue=True), now=NOW))[0]] == [old]
            # Two days on the emergency is overdue too: among overdue cases emergencies come first.
            later = NOW + timedelta(days=2)
            assert [c.number for c in (await uow.cases.list(CaseQuery(office="hubin"), now=later))[0]] == [
                urgent, old, fresh]
            assert [c.number for c in (await uow.cases.list(CaseQuery(overdue=True), now=later))[0]] == [urgent, old]
            # Once decided, a case is no longer overdue and drops back among the rest.
            await uow.cases.transition(old, Transition(status=CaseStatus.CLOSED, action="close", actor="cw1", note="",
                                                       at=NOW))
            await uow.commit()
        async with database.unit_of_work() as uow:
            cases, _ = await uow.cases.list(CaseQuery(office="hubin"), now=NOW)
            assert [c.number for c in cases] == [urgent, old, fresh]

    async def test_history_is_appended_and_notes_kept_in_order(self, database):
        number = await submit(database, payload(1), "r1")
        async with database.unit_of_work() as uow:
            await uow.cases.transition(number, Transition(status=CaseStatus.WITHDRAWN, action="withdraw",
                                                          actor="wang", note="本人撤回", at=NOW + timedelta(hours=1)))
            first = await uow.cases.add_note(number, author="wang", body="电话联系", at=NOW)
            await uow.cases.add_note(number, author="li", body="已核实", at=NOW)
            await uow.commit()
        async with database.unit_of_work() as uow:
            history = await uow.cases.history(number)
            assert [(e.status, e.action, e.actor, e.note) for e in history][-1] == (
                CaseStatus.WITHDRAWN, "withdraw", "wang", "本人撤回"
            )
            assert [(n.author, n.body) for n in await uow.cases.notes(number)] == [
                ("wang", "电话联系"), ("li", "已核实")
            ]
            assert (await uow.cases.notes(number))[0].id == first.id
            with pytest.raises(LookupError):
                await uow.cases.notes("YM0")

    async def test_unknown_assignee_is_refused(self, database):
        number = await submit(database, payload(1), "r1")
        async with database.unit_of_work() as uow:
            with pytest.raises(LookupError):
                await uow.cases.transition(number, Transition(status=CaseStatus.ASSIGNED, action="assign", actor="x",
                                                              note="", at=NOW, assigned_to="nobody"))


class TestIdempotencyAndNotifications:
    async def test_a_stored_response_is_found_by_owner_and_key(self, database):
        response = StoredResponse("h" * 64, 201, {"number": "YM1"})
        async with database.unit_of_work() as uow:
            await uow.idempotency.lock("bot", "k1")
            assert await uow.idempotency.get("bot", "k1") is None
            await uow.idempotency.put("bot", "k1", response, at=NOW)
            await uow.commit()
        async with database.unit_of_work() as uow:
            assert await uow.idempotency.get("bot", "k1") == response
            assert await uow.idempotency.get("other", "k1") is None

    async def test_a_key_is_stored_new_once(self, database):
        first, second = StoredResponse("a" * 64, 200, {}), StoredResponse("b" * 64, 201, {"n": 2})
        async with database.unit_of_work() as uow:
            assert await uow.idempotency.put_new("inbound:wechat", "m1", first, at=NOW) is True
            assert await uow.idempotency.put_new("inbound:wechat", "m1", second, at=NOW) is False
            assert await uow.idempotency.put_new("inbound:web", "m1", second, at=NOW) is True
            await uow.commit()
        async with database.unit_of_work() as uow:
            assert await uow.idempotency.put_new("inbound:wechat", "m1", second, at=NOW) is False
            assert await uow.idempotency.get("inbound:wechat", "m1") == first

    async def test_notifications_are_listed_per_resident_in_order(self, database):
        number = await submit(database, payload(1), "r1")
        async with database.unit_of_work() as uow:
            resident = (await uow.cases.get(number)).resident_id
            await uow.notifications.add(resident_id=resident, application_number=None, kind="reminder",
                                        params={"n": 1}, at=NOW)
            await uow.commit()
            found = await uow.notifications.for_resident(resident)
        assert [(n.kind, n.application_number, n.status) for n in found if not n.kind.startswith("offer")] == [
            ("submitted", number, "pending"), ("assessed", number, "pending"), ("reminder", None, "pending")
        ]


class TestHeldNotificationsAndOpenOffers:
    async def test_a_held_notification_is_claimed_only_once_due_and_counted_once_dispatched(self, database):
        async with database.unit_of_work() as uow:
            who = (await uow.residents.identify("telegram", "7", now=NOW)).id
            other = (await uow.residents.identify("telegram", "8", now=NOW)).id
            await uow.notifications.add(resident_id=who, application_number=None, kind="offers", params={}, at=NOW,
                                        not_before=NOW + timedelta(hours=1))
            await uow.notifications.add(resident_id=who, application_number=None, kind="outreach", params={}, at=NOW)
            await uow.notifications.add(resident_id=other, application_number="YM1", kind="approved", params={},
                                        at=NOW)
            await uow.commit()
        kinds = frozenset({"offers", "outreach"})
        async with database.unit_of_work() as uow:
            due = await uow.notifications.claim(channels=("telegram",), urgent_only=False, limit=10, now=NOW)
            assert [d.notification.kind for d in due] == ["outreach", "approved"]
            for item in due:
                await uow.notifications.mark(item.notification.id, status="queued", at=NOW)
            await uow.commit()
        async with database.unit_of_work() as uow:
            assert await uow.notifications.dispatched_since({who, other}, kinds, since=NOW) == {who: 1}
            assert await uow.notifications.dispatched_since({who}, kinds, since=NOW + timedelta(seconds=1)) == {}
            (held,) = await uow.notifications.claim(channels=("telegram",), urgent_only=False, limit=10,
                                                    now=NOW + timedelta(hours=1))
            await uow.notifications.hold(held.notification.id, until=NOW + timedelta(days=1))
            await uow.commit()
        async with database.unit_of_work() as uow:
            assert await uow.notifications.claim(channels=("telegram",), urgent_only=False, limit=10,
                                                 now=NOW + timedelta(hours=23)) == []
            assert len(await uow.notifications.claim(channels=("telegram",), urgent_only=False, limit=10,
                                                     now=NOW + timedelta(days=1))) == 1

    async def test_open_offers_are_the_unanswered_unexpired_ones_of_the_resident(self, database):
        async with database.unit_of_work() as uow:
            who = (await uow.residents.identify("telegram", "7", now=NOW)).id
            other = (await uow.residents.identify("telegram", "8", now=NOW)).id
            ids = [await uow.offers.add(resident_id=who, application_number="YM1", kind="service", ref=ref, at=NOW,
                                        expires_at=NOW + timedelta(days=days))
                   for ref, days in (("a", 30), ("b", 30), ("c", 1))]
            forever = await uow.offers.add(resident_id=who, application_number=None, kind="scheme", ref="volunteer",
                                           at=NOW)
            await uow.offers.add(resident_id=other, application_number="YM2", kind="service", ref="a", at=NOW)
            await uow.offers.answer(ids[1], status="declined", at=NOW)
            await uow.commit()
        async with database.unit_of_work() as uow:
            assert [o.id for o in await uow.offers.open_for(who, now=NOW)] == [ids[0], ids[2], forever]
            later = await uow.offers.open_for(who, now=NOW + timedelta(days=1))
            assert [(o.id, o.expires_at) for o in later] == [(ids[0], NOW + timedelta(days=30)), (forever, None)]

    async def test_offers_added_at_once_skip_what_was_offered_before(self, database):
        async with database.unit_of_work() as uow:
            who = (await uow.residents.identify("telegram", "7", now=NOW)).id
            first = await uow.offers.add(resident_id=who, application_number="YM1", kind="service", ref="b", at=NOW)
            ids = await uow.offers.add_many(resident_id=who, application_number="YM2", at=NOW,
                                            wanted=[("service", "a"), ("service", "b"), ("scheme", "volunteer")])
            assert await uow.offers.add_many(resident_id=who, application_number="YM2", at=NOW, wanted=[]) == []
            await uow.commit()
        assert ids[1] is None and None not in (ids[0], ids[2]) and len({first, ids[0], ids[2]}) == 3
        async with database.unit_of_work() as uow:
            listed = {o.id: (o.kind, o.ref, o.application_number) for o in await uow.offers.open_for(who, now=NOW)}
        assert listed == {first: ("service", "b", "YM1"), ids[0]: ("service", "a", "YM2"),
                          ids[2]: ("scheme", "volunteer", "YM2")}


async def test_status_events_cannot_be_rewritten(database):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError, IntegrityError

    await submit(database, payload(1), "r1")
    with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
        async with database.engine.begin() as connection:
            await connection.execute(text("UPDATE status_history SET note = 'rewritten'"))
    async with database.engine.connect() as connection:
        notes = (await connection.execute(text("SELECT note FROM status_history"))).scalars().all()
    assert "rewritten" not in notes
