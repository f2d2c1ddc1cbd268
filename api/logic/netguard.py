"""Where webhooks may go: http(s) URLs whose addresses are public, or explicitly allowed.

A case system on the centre's LAN is normal, but it must be named: private, loopback, link-local
(cloud metadata lives there), shared (CGNAT) and other non-global addresses are refused unless the
host or a network holding the address is on the allow list (`GRIDWATCH_API_WEBHOOK_ALLOW`).

Example:
    >>> allow = AllowList.parse("127.0.0.1,10.8.0.0/16")
    >>> refusal(ip_address("10.8.1.2"), host="cases.lan", allow=allow) is None
    True
    >>> refusal(ip_address("169.254.169.254"), host="metadata", allow=allow)
    '169.254.169.254 is a link-local address'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from urllib.parse import urlsplit

IpAddress = IPv4Address | IPv6Address
HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$"
)
SCHEMES = ("http", "https")


class AddressRefusedError(Exception):
    """A webhook URL or one of its resolved addresses is not allowed (names which and why)."""


@dataclass(frozen=True)
class AllowList:
    """Hosts (by name) and networks that webhooks may reach although not public."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPv4Network | IPv6Network, ...] = ()

    @classmethod
    def parse(cls, text: str) -> AllowList:
        """`"127.0.0.1, 10.8.0.0/16, cases.lan"` → an allow list; ValueError names a bad entry."""
        hosts: set[str] = set()
        networks: list[IPv4Network | IPv6Network] = []
        for entry in (part.strip() for part in text.split(",")):
            if not entry:
                continue
            try:
                networks.append(ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            if not HOSTNAME.match(entry.lower()):
                raise ValueError(f"webhook allow-list entry {entry!r} is neither a host name nor an IP/CIDR")
            hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def permits(self, host: str, address: IpAddress) -> bool:
        """Whether the allow list names `host` or holds `address`."""
        return host.lower().rstrip(".") in self.hosts or any(address in n for n in self.networks)


def _kind(address: IpAddress) -> str:
    for attribute, kind in (
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_unspecified", "unspecified"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
    ):
        if getattr(address, attribute):
            return kind
    return "non-public"


def refusal(address: IpAddress, *, host: str, allow: AllowList) -> str | None:
    """Why a webhook may not connect to `address` (reached as `host`), or None when it may."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if allow.permits(host, address) or (address.is_global and not address.is_multicast):
        return None
    return f"{address} is a {_kind(address)} address"


def split_url(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL; AddressRefusedError naming what is wrong otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AddressRefusedError(f"url {url!r} is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in SCHEMES:
        raise AddressRefusedError(f"url {url!r} must be http:// or https://")
    if not parts.hostname:
        raise AddressRefusedError(f"url {url!r} has no host")
    return parts.hostname, port or (443 if parts.scheme.lower() == "https" else 80)


def literal_address(host: str) -> IpAddress | None:
    """The address when `host` is an IP literal (no DNS needed), else None."""
    try:
        return ip_address(host.strip("[]"))
    except ValueError:
        return None
