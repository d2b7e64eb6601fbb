"""Fetching what a provider's answer points at (result URLs): public https hosts only, capped and timed.

A result URL is whatever the provider's answer says, so it is treated as hostile: a URL naming
127.0.0.1, the LAN or the cloud's metadata address must not make us fetch it and send it to a seller.
The host is resolved once, every address it resolves to must be public, and we connect to the address
we checked: the URL is rewritten to that IP, with the Host header and TLS SNI (so the certificate is
still verified for the name) set to the original host. A second lookup by the HTTP library, which a
DNS-rebinding host could answer with 127.0.0.1, never happens. Redirects are followed by hand, each
hop checked the same way. Keep-alive is off: a pooled connection is keyed by IP, so it could otherwise
carry a request for one name over a TLS session verified for another name on the same address.
"""

import functools
import ipaddress
import socket
import time

import httpx
from django.conf import settings

from generations.providers.base import TEMPORARY, ProviderError

MAX_BYTES = {"video": 200 * 1024 * 1024, "image": 30 * 1024 * 1024}
MAX_REDIRECTS = 3
TIMEOUT = httpx.Timeout(30, connect=10)
TOTAL_SECONDS = 300  # a server dripping a byte just inside the read timeout still ends here
REDIRECTS = {301, 302, 303, 307, 308}
DEFAULT_PORTS = {"https": 443, "http": 80}
# Cloud metadata services (AWS, GCP, Azure: 169.254.169.254; AWS IPv6; Alibaba): refused even though
# the ranges they sit in are refused anyway, so a future "allow" can't let them through by accident.
METADATA = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",
        "fd00:ec2::254",
        "100.100.100.200",
    )
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Refused(ProviderError):
    """A result URL we will not fetch: not https, or not a public address."""

    def __init__(self, reason):
        super().__init__(TEMPORARY, f"result URL refused: {reason}")


def fetch(url, *, max_bytes):
    """The body of a GET of `url` (following at most MAX_REDIRECTS checked redirects), at most `max_bytes`."""
    deadline = time.monotonic() + TOTAL_SECONDS
    for _ in range(MAX_REDIRECTS + 1):
        target, address = _checked(url)
        try:
            with _client().stream(
                "GET",
                _pinned(target, address),
                headers={"Host": target.netloc.decode("ascii")},
                extensions=_sni(target),
            ) as response:
                if response.status_code in REDIRECTS and response.headers.get("location"):
                    url = str(target.join(response.headers["location"]))
                    continue
                if response.status_code != 200:
                    raise ProviderError(TEMPORARY, f"result download answered HTTP {response.status_code}")
                return _read(response, max_bytes, deadline)
        except httpx.HTTPError as error:
            raise ProviderError(TEMPORARY, f"result download failed: {type(error).__name__}") from None
        except httpx.InvalidURL:
            raise Refused("not a valid URL") from None
    raise Refused(f"more than {MAX_REDIRECTS} redirects")


def is_public(address, *, allow_loopback=False):
    """Whether we may connect to `address` (an ip_address): a global unicast address, not a metadata one."""
    if address.version == 6:
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped, allow_loopback=allow_loopback)
        if embedded is not None and not is_public(embedded):
            return False
    if address in METADATA:
        return False
    if address.is_loopback:
        return allow_loopback
    # is_global alone would let some multicast and reserved blocks through; CGNAT (100.64/10) is not global.
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_link_local
        or address.is_private
        or address.is_unspecified
    )


def _checked(url):
    allow_loopback = settings.PROVIDER_FETCH_ALLOW_LOOPBACK
    try:
        target = httpx.URL(url)
        host = target.raw_host.decode("ascii")
    except (httpx.InvalidURL, TypeError, ValueError):
        raise Refused("not a valid URL") from None
    if target.scheme not in ("https", "http") or not host:
        raise Refused("not an https URL")
    if target.scheme == "http" and not allow_loopback:
        raise Refused("not an https URL")
    addresses = _resolve(host, target.port or DEFAULT_PORTS[target.scheme])
    if not all(is_public(address, allow_loopback=allow_loopback) for address in addresses):
        raise Refused(f"{host} is not a public address")
    # Plain http only ever reaches this machine (tests, the demo): never a host on the internet.
    if target.scheme == "http" and not all(_loopback(address) for address in addresses):
        raise Refused("not an https URL")
    return target, addresses[0]


def _resolve(host, port):
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ProviderError(TEMPORARY, f"result host {host} not found") from None
    # An IPv6 answer may carry a scope ("fe80::1%eth0"): the address is what is judged.
    addresses = list(dict.fromkeys(ipaddress.ip_address(answer[4][0].split("%")[0]) for answer in answers))
    if not addresses:
        raise ProviderError(TEMPORARY, f"result host {host} not found")
    return addresses


def _loopback(address):
    return address.is_loopback or (
        address.version == 6 and bool(address.ipv4_mapped) and address.ipv4_mapped.is_loopback
    )


def _pinned(target, address):
    return target.copy_with(host=str(address))


def _sni(target):
    return {"sni_hostname": target.raw_host.decode("ascii")} if target.scheme == "https" else {}


def _read(response, max_bytes, deadline):
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise Refused(f"result larger than {max_bytes // (1024 * 1024)} MB")
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise Refused(f"result larger than {max_bytes // (1024 * 1024)} MB")
        if time.monotonic() > deadline:
            raise ProviderError(TEMPORARY, f"result download took longer than {TOTAL_SECONDS} s")
        chunks.append(chunk)
    return b"".join(chunks)


@functools.cache
def _client():
    # trust_env=False: an HTTP(S)_PROXY from the environment would do its own lookup and defeat the pinning.
    return httpx.Client(
        timeout=TIMEOUT,
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=0),
    )
