"""The address a request comes from, also behind a reverse proxy.

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only when the
direct peer is a proxy the deployment trusts (``YIMEN_TRUSTED_PROXIES``). Each proxy appends
the address it received from; walking the header from the right, the first address that is
not a trusted proxy is the client. Anything to its left may be made up and is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


def parse_networks(raw: str) -> tuple[Network, ...]:
    """``"10.0.0.1, 192.168.0.0/16"`` as networks; raises ValueError naming a bad entry."""
    networks = []
    for part in raw.split(","):
        part = part.strip()
        if part:
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"{part!r} is not an IP address or network") from None
    return tuple(networks)


def client_address(peer: str | None, forwarded_for: Iterable[str] = (), trusted: Sequence[Network] = ()) -> str:
    """The client's address.

    Args:
        peer: the socket's peer address (aiohttp's ``request.remote``).
        forwarded_for: the ``X-Forwarded-For`` headers as received (several headers are one list).
        trusted: the proxies whose ``X-Forwarded-For`` is believed.
    """
    address = _parsed(peer)
    if address is None:
        return peer or UNKNOWN
    if not _within(address, trusted):
        return str(address)
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        parsed = _parsed(hop)
        if parsed is None:
            # A malformed entry: nothing to its left can be traced; the last proxy is the client.
            return str(address)
        address = parsed
        if not _within(address, trusted):
            return str(address)
    # Every hop is a trusted proxy: the left-most one is as close to the client as is known.
    return str(address)


def _parsed(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket is the same client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _within(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: Sequence[Network]) -> bool:
    return any(address.version == n.version and address in n for n in networks)
