"""The client's address: the socket's peer, or behind trusted proxies the right-most untrusted
address of X-Forwarded-For."""

from __future__ import annotations

import pytest

from backend.client_address import client_address, parse_networks
from backend.config import Config, ConfigError

PROXIES = parse_networks("10.0.0.1, 192.168.0.0/16, ::1")


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address("203.0.113.5", ["198.51.100.1"]) == "203.0.113.5"


def test_a_peer_that_is_not_a_trusted_proxy_cannot_name_another_client():
    assert client_address("203.0.113.5", ["198.51.100.1"], PROXIES) == "203.0.113.5"


def test_behind_trusted_proxies_the_right_most_untrusted_address_is_the_client():
    # The client made up the left-most entry; the proxies appended the rest.
    assert client_address("10.0.0.1", ["1.2.3.4, 198.51.100.7, 192.168.1.2"], PROXIES) == "198.51.100.7"
    assert client_address("10.0.0.1", ["1.2.3.4", "198.51.100.7"], PROXIES) == "198.51.100.7"  # two headers


def test_odd_headers_fall_back_to_the_last_proxy_known():
    assert client_address("10.0.0.1", [], PROXIES) == "10.0.0.1"
    assert client_address("10.0.0.1", ["not-an-address"], PROXIES) == "10.0.0.1"
    assert client_address("10.0.0.1", ["192.168.1.2"], PROXIES) == "192.168.1.2"  # only proxies


def test_addresses_are_normalised():
    assert client_address("::ffff:203.0.113.5") == "203.0.113.5"
    assert client_address("::1", ["2001:DB8::1"], PROXIES) == "2001:db8::1"
    assert client_address(None) == "unknown"


def test_the_setting_is_read_and_checked():
    config = Config.from_env({"YIMEN_SECRET_KEY": "k", "YIMEN_TRUSTED_PROXIES": "10.0.0.1,192.168.0.0/16"})
    assert [str(n) for n in config.proxies] == ["10.0.0.1/32", "192.168.0.0/16"]
    assert Config.from_env({"YIMEN_SECRET_KEY": "k"}).proxies == ()
    with pytest.raises(ConfigError, match="YIMEN_TRUSTED_PROXIES"):
        Config.from_env({"YIMEN_SECRET_KEY": "k", "YIMEN_TRUSTED_PROXIES": "10.0.0.300"})
