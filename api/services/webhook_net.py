"""The webhook sender's network: every connection goes to an address checked just before it.

Names are resolved once per connection by the centre itself; each resolved address is checked
against `api.logic.netguard`, and the socket is opened to that very address (TLS still verifies
the host name), so a DNS answer that changes between the check and the connect (rebinding) cannot
steer a delivery to an internal service. Redirects are not followed and proxies are not used.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterable
from ipaddress import ip_address
from typing import Any

import httpcore
import httpx

from api.logic.netguard import AddressRefusedError, AllowList, IpAddress, literal_address, refusal, split_url

logger = logging.getLogger(__name__)

Resolver = Callable[[str, int], list[str]]
"""host, port → the addresses to try, as text (the system's getaddrinfo by default)."""


def system_resolver(host: str, port: int) -> list[str]:
    """The host's TCP addresses from the system resolver, without duplicates, in its order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise AddressRefusedError(f"cannot resolve {host!r}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_addresses(host: str, port: int, *, resolver: Resolver, allow: AllowList) -> list[IpAddress]:
    """Every address of `host`, each allowed; AddressRefusedError when any is not (or none exist)."""
    literal = literal_address(host)
    addresses = (
        [literal] if literal is not None else [ip_address(a.split("%")[0]) for a in resolver(host, port)]
    )
    if not addresses:
        raise AddressRefusedError(f"{host!r} resolves to no address")
    for address in addresses:
        reason = refusal(address, host=host, allow=allow)
        if reason is not None:
            raise AddressRefusedError(f"refused {host}: {reason} (allow it with GRIDWATCH_API_WEBHOOK_ALLOW)")
    return addresses


def check_url(url: str, *, resolver: Resolver, allow: AllowList) -> None:
    """Refuse a webhook URL that is not http(s) or whose host resolves to a refused address."""
    host, port = split_url(url)
    checked_addresses(host, port, resolver=resolver, allow=allow)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's TCP connects, made only to checked addresses of the requested host."""

    def __init__(self, *, resolver: Resolver, allow: AllowList, inner: httpcore.NetworkBackend | None = None):
        self._resolver = resolver
        self._allow = allow
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Connect to the first checked address of `host` that answers."""
        failure: Exception | None = None
        for address in checked_addresses(host, port, resolver=self._resolver, allow=self._allow):
            try:
                return self._inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        """Never: webhooks go over TCP only."""
        raise AddressRefusedError(f"unix socket {path!r} refused")

    def sleep(self, seconds: float) -> None:
        """As the inner backend sleeps."""
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with its connection pool on a `GuardedBackend`, no proxies."""

    def __init__(self, backend: GuardedBackend) -> None:
        super().__init__(trust_env=False)
        # httpx offers no public way to pass a network backend; its pool is the documented httpcore one.
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(), network_backend=backend)


def guarded_client(*, resolver: Resolver, allow: AllowList, timeout_s: float) -> httpx.Client:
    """An httpx client for webhook deliveries: checked addresses only, no redirects, no proxies."""
    backend = GuardedBackend(resolver=resolver, allow=allow)
    return httpx.Client(
        transport=GuardedTransport(backend), timeout=timeout_s, follow_redirects=False, trust_env=False
    )
