"""ID numbers encrypted at rest, and checked the way stdnum checks them."""

from __future__ import annotations

import time
import unicodedata
from datetime import date

import pytest
from stdnum.cn import ric

from backend.monitoring.vault import IdVault, VaultError
from id_numbers import BadIdNumber, age_on, check_id_number
from tests.backend.factories import id_number

NUMBER = id_number(7, born=date(1988, 8, 8))


def test_an_id_number_comes_back_as_it_went_in() -> None:
    vault = IdVault(b"secret")
    assert vault.decrypt(vault.encrypt(NUMBER)) == NUMBER
    with_x = next(n for n in (id_number(s) for s in range(200)) if n.endswith("X"))
    assert vault.decrypt(vault.encrypt(with_x)) == with_x


def test_the_stored_text_shows_nothing_of_the_number() -> None:
    stored = IdVault(b"secret").encrypt(NUMBER)
    assert NUMBER not in stored
    assert NUMBER[6:14] not in stored and NUMBER[-4:] not in stored  # neither birth date nor the last digits
    assert len(stored) <= 80 and stored.isascii() and "," not in stored  # compact text, safe in CSV


def test_each_encryption_uses_a_fresh_nonce() -> None:
    vault = IdVault(b"secret")
    assert vault.encrypt(NUMBER) != vault.encrypt(NUMBER)


def test_another_secret_or_a_changed_text_cannot_be_decrypted() -> None:
    stored = IdVault(b"secret").encrypt(NUMBER)
    with pytest.raises(VaultError):
        IdVault(b"another secret").decrypt(stored)
    altered = stored[:-3] + ("A" if stored[-3] != "A" else "B") + stored[-2:]
    with pytest.raises(VaultError):
        IdVault(b"secret").decrypt(altered)
    with pytest.raises(VaultError):
        IdVault(b"secret").decrypt("not encrypted")


def test_encrypting_a_million_numbers_takes_seconds_not_minutes() -> None:
    vault = IdVault(b"secret")
    started = time.perf_counter()
    for _ in range(20_000):
        vault.encrypt(NUMBER)
    per_value = (time.perf_counter() - started) / 20_000
    assert per_value * 1_000_000 < 60, f"{per_value * 1e6:.1f} µs per value"


@pytest.mark.parametrize(
    "value",
    [NUMBER, NUMBER.lower(), f" {NUMBER} ", NUMBER[:17] + "0", NUMBER[:17] + "1", "11010119800230001X",
     "110101198001010", "99999919800101001X", "1101011980010100AX", "", "１１０１０１１９８００１０１００５３"],
)
def test_the_check_agrees_with_stdnum(value: str) -> None:
    try:
        number, born = check_id_number(value, today=None)
    except BadIdNumber:
        assert not ric.is_valid(value.strip())
    else:
        assert ric.is_valid(value.strip()) and number == ric.compact(unicodedata.normalize("NFKC", value))
        assert born == ric.get_birth_date(number)


def test_a_refusal_says_why_without_the_number() -> None:
    with pytest.raises(BadIdNumber, match="check digit") as refused:
        check_id_number(NUMBER[:17] + ("0" if NUMBER[17] != "0" else "1"), today=None)
    assert NUMBER[:17] not in str(refused.value)


def test_ages_count_whole_years() -> None:
    assert age_on(date(1970, 3, 15), date(2026, 3, 14)) == 55
    assert age_on(date(1970, 3, 15), date(2026, 3, 15)) == 56
    assert age_on(date(2012, 2, 29), date(2026, 2, 28)) == 13
