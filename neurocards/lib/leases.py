"""Shared coordination between processes, in the database: leases and rate-limit slots."""

import functools
import os
import socket
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from neurocards.models import Lease, RateSlot


class Held:
    """What `lease()` yields: true while this process holds the lease, which `renew()` extends."""

    def __init__(self, name, *, holder, seconds, held):
        self.name, self.holder, self.seconds, self.held = name, holder, seconds, held

    def __bool__(self):
        return self.held

    def renew(self):
        """Hold it `seconds` more from now; False when it lapsed meanwhile and another process took it."""
        if self.held:
            self.held = bool(
                Lease.objects.filter(name=self.name, holder=self.holder).update(
                    expires_at=timezone.now() + timedelta(seconds=self.seconds)
                )
            )
        return self.held


@contextmanager
def lease(name, *, seconds):
    """Yield a true Held when this process now holds `name` (for `seconds`, unless renewed), false when another does.

    A holder that dies (a killed cluster) leaves its row behind: the lease is anyone's once it lapses, so
    a long job takes a short lease and renews it while it runs rather than one long enough for the job.
    """
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    now = timezone.now()
    Lease.objects.get_or_create(name=name)
    held = Lease.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__lt=now), name=name).update(
        holder=holder, expires_at=now + timedelta(seconds=seconds)
    )
    grant = Held(name, holder=holder, seconds=seconds, held=bool(held))
    try:
        yield grant
    finally:
        if grant:
            Lease.objects.filter(name=name, holder=holder).update(holder="", expires_at=None)


def held_until(name):
    """When the current hold on `name` lapses, or None when nobody holds it."""
    return Lease.objects.filter(name=name, expires_at__gte=timezone.now()).values_list("expires_at", flat=True).first()


# Redis does the same reservation in one atomic step.
_RESERVE = """
local now = tonumber(ARGV[1])
local at = tonumber(redis.call('GET', KEYS[1]) or '0')
if at < now then at = now end
redis.call('SET', KEYS[1], tostring(at + tonumber(ARGV[2])), 'EX', 3600)
return tostring(at)
"""


def reserve_slot(key, interval):
    """Reserve the next moment `key` may act, `interval` seconds after the previous one; returns it (unix time).

    Shared by every process: Redis when REDIS_URL is set, the database otherwise.
    """
    now = time.time()
    if settings.REDIS_URL:
        return float(_redis_reserve()(keys=[f"neurocards:slot:{key}"], args=[now, interval]))
    with transaction.atomic():
        RateSlot.objects.get_or_create(key=key)
        slot = RateSlot.objects.select_for_update().get(key=key)
        at = max(slot.next_at, now)
        RateSlot.objects.filter(key=key).update(next_at=at + interval)
    return at


# A reservation takes a millisecond; a Redis that stalls must fail the send (the caller retries later) rather
# than hang every worker that paces a message.
REDIS_TIMEOUT_SECONDS = 2


@functools.cache
def _redis_reserve():
    import redis  # only when REDIS_URL is set: the database pacing needs no Redis client

    return redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
    ).register_script(_RESERVE)
