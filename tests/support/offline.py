"""`python -m tests.support.offline ARGS...`: the `gridwatch` command with name resolution limited to
loopback, so a server under test can never look up or reach another host (webhook URLs that fuzzers
or tests invent included): every other name or address fails as an unknown host."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_getaddrinfo = socket.getaddrinfo


def _is_loopback(host: object) -> bool:
    if host is None:
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False


def loopback_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    """`socket.getaddrinfo` for loopback names and addresses only."""
    if not _is_loopback(host):
        raise socket.gaierror(socket.EAI_NONAME, f"test processes reach only loopback, not {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


def main() -> None:
    """Run the `gridwatch` command line offline."""
    socket.getaddrinfo = loopback_getaddrinfo
    from gridwatch.cli import main as gridwatch

    gridwatch()


if __name__ == "__main__":
    main()
