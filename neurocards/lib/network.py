"""Who is really calling: the peer address, or X-Forwarded-For when the peer is our own proxy."""

import ipaddress

from django.conf import settings


def networks(values):
    return [ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip()]


def client_ip(request, trusted_proxies):
    """The caller's address. X-Forwarded-For is believed only from TRUSTED_PROXIES, read from the right."""
    peer = _address(request.META.get("REMOTE_ADDR", ""))
    if peer is None or not _within(peer, trusted_proxies):
        return peer
    forwarded = [_address(part) for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed(forwarded):
        if address is None:
            return None
        if not _within(address, trusted_proxies):
            return address
    return peer


def caller(request):
    """client_ip with the configured TRUSTED_PROXIES, as text (django-axes counts staff login failures by it).
    Unreadable forwarding falls back to the peer: never to an address the caller wrote."""
    address = client_ip(request, networks(settings.TRUSTED_PROXIES))
    return str(address) if address else request.META.get("REMOTE_ADDR", "")


def allowed(address, allow_list):
    return address is not None and _within(address, allow_list)


def _within(address, nets):
    return any(address in net for net in nets if net.version == address.version)


def _address(value):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None
