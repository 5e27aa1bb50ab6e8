"""Callback safety: the hub connects to URLs that strangers give it, so it decides which addresses it will reach.

A callback may only lead to a globally routable unicast address, unless the operator allows a network
explicitly (`allowed_callback_networks`). Host names are resolved once per connection by `CheckingResolver`,
and aiohttp connects to exactly the addresses it returned, so a name that resolves to a public address when
checked and to 127.0.0.1 a moment later (DNS rebinding) cannot slip through. IP literals never reach a
resolver in aiohttp, so `check_url` judges them before every request.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from feedsvc.websub.settings import Network

MAX_URL_LENGTH = 2000
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class CallbackRefused(ValueError):
    """The callback URL is malformed or leads to an address we do not connect to; str() is the reason."""


@dataclass(frozen=True)
class Policy:
    allowed: Sequence[Network] = ()

    def permits(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
        if any(address in network for network in self.allowed):
            return True
        # is_global is false for loopback, private, link-local, shared (100.64/10), reserved and documentation
        # ranges; some multicast ranges count as global, so multicast is excluded separately.
        return address.is_global and not address.is_multicast

    def check_address(self, host: str) -> None:
        address = ipaddress.ip_address(host.split("%", 1)[0])  # a scoped IPv6 literal carries "%eth0"
        if not self.permits(address):
            raise CallbackRefused(f"callback address {address} is not allowed "
                                  "(loopback, private, link-local, multicast or reserved)")


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def check_url(url: str, policy: Policy) -> tuple[str, int]:
    """(host, port) of a callback URL we may call; CallbackRefused otherwise. Judges IP literals at once."""
    if len(url) > MAX_URL_LENGTH:
        raise CallbackRefused(f"callback URL longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise CallbackRefused("callback is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallbackRefused("callback must be an absolute http or https URL")
    if parts.username is not None or parts.password is not None:
        raise CallbackRefused("callback URL must not carry credentials")
    host = parts.hostname
    if _literal(host):
        policy.check_address(host)
    return host, port or (443 if parts.scheme == "https" else 80)


class CheckingResolver(AbstractResolver):
    """Resolves with the system resolver, then refuses the name if any of its addresses is not permitted."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._inner = ThreadedResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            try:
                self._policy.check_address(result["host"])
            except CallbackRefused as exc:
                # An OSError, so aiohttp reports it as a connection error naming the host; with an errno, as
                # aiohttp's message shows only strerror (the reason was "[None]" in the log without one).
                raise OSError(errno.EACCES, f"{host}: {exc}") from None
        return results

    async def close(self) -> None:
        await self._inner.close()
