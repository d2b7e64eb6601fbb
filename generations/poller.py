"""The batch poller: one runner at a time reads every in-flight task, within KIE's read limits.

Runs for most of its schedule's period. Reads are spread over the API keys, each key at most
KIE_POLL_RATE_PER_KEY reads a second; the network reads run in a few threads while this thread
does all the database work, so one process keeps up with a thousand generations in flight.
"""

import collections
import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from django.conf import settings
from django.utils import timezone
from django_q.conf import Conf
from django_q.tasks import async_task

from generations import pipeline
from generations.models import Generation
from generations.providers import get_provider
from generations.providers.base import TEMPORARY, ProviderError
from neurocards.lib.leases import lease
from neurocards.models import Heartbeat
from neurocards.schedules import POLLER_LEASE

log = logging.getLogger(__name__)

THREADS = 16
BATCH = 500
DISPATCH_EVERY = 5.0
IDLE_PAUSE = 0.25
KIE_READS_PER_WINDOW = 10  # recordInfo: 10 requests per second per key
# The window is held a little longer than KIE's second, so network jitter can't bunch 11 into one.
WINDOW_SECONDS = 1.05
# A killed cluster's poller can't let go of its lease: a short one, renewed while the loop runs, lapses
# within LEASE_SECONDS of the holder's death and the next runner takes it (it was run + 60 s: ~110 s
# without polling, and finished videos timed out). Renewed from this thread, never the network threads.
LEASE_SECONDS = 15.0
RENEW_EVERY = 5.0


class Window:
    """At most `limit` departures in any `seconds`, counted when a request really leaves (thread-safe)."""

    def __init__(self, limit, seconds):
        self.limit, self.seconds = limit, seconds
        self.departures = collections.deque()
        self.lock = threading.Lock()

    def wait(self):
        while True:
            with self.lock:
                now = time.monotonic()
                while self.departures and self.departures[0] <= now - self.seconds:
                    self.departures.popleft()
                if len(self.departures) < self.limit:
                    self.departures.append(now)
                    return
                pause = self.departures[0] + self.seconds - now
            time.sleep(pause)


def run(*, seconds=50.0, wait=0.0, chained=False):
    """Poll for `seconds` unless another poller holds the lease; `wait`: how long to wait for it to lapse.

    A run that polled to its end hands the next one to a worker (hand_on), once it has let the lease go. That
    `chained` run first lets KIE's window pass: its read windows start empty, and the last reads of the run
    before may have left less than a second ago.
    """
    give_up = time.monotonic() + wait
    while True:
        poller = None
        with lease(POLLER_LEASE, seconds=LEASE_SECONDS) as held:
            if held:
                if chained:
                    time.sleep(WINDOW_SECONDS)
                Heartbeat.beat("poller")
                poller = Poller(seconds=seconds, held=held)
                summary = poller.loop()
        if poller is not None:
            if not poller.lost:
                hand_on()
            return summary
        if time.monotonic() >= give_up:
            return "another poller is running"
        time.sleep(0.5)


def hand_on():
    """Queue the next run now.

    The schedule starts a run every minute, but the cluster looks at its schedules only about every 30 s: between
    the end of a 50 s run and the next start, 10-40 s went unread, the wake-ups of KIE's callbacks too. Chained,
    polling goes on without that gap. The schedule stays and starts polling again should the chain break (a
    killed cluster; its lease lapses, see neurocards.schedules.poll_at_start). A run that finds the lease held
    returns at once and hands nothing on, and one that lost its lease hands nothing on: one chain at a time.
    """
    if Conf.SYNC:
        return  # tasks run inline (tests): the chain would never end
    try:
        async_task("generations.tasks.poll", chained=True, task_name="poller-next")
    except Exception:  # noqa: BLE001  (the broker away: the schedule starts the next run)
        log.exception("poller: the next run was not queued; the schedule will start it")


class Poller:
    def __init__(self, *, seconds, held=None):
        self.held, self.renewed_at = held, time.monotonic()
        self.lost = False
        self.provider = get_provider()
        self.deadline = time.monotonic() + seconds
        interval = 1 / settings.KIE_POLL_RATE_PER_KEY
        self.interval = interval
        self.next_slot = {key: time.monotonic() for key in self.provider.poll_keys}
        self.windows = {key: Window(KIE_READS_PER_WINDOW, WINDOW_SECONDS) for key in self.next_slot}
        self.buffer, self.in_flight, self.futures = [], set(), {}
        self.reads = self.errors = 0
        self.last_dispatch = 0.0

    def loop(self):
        with ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="poll") as pool:
            while time.monotonic() < self.deadline and self._renew():
                self._dispatch()
                self._apply_done(block=False)
                generation = self._next_due()
                if generation is None:
                    self._apply_done(block=True, timeout=IDLE_PAUSE)
                    continue
                key = min(self.next_slot, key=self.next_slot.get)
                pause = self.next_slot[key] - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                self.next_slot[key] = max(self.next_slot[key], time.monotonic()) + self.interval
                self.in_flight.add(generation.pk)
                self.futures[pool.submit(self._read, generation, key)] = generation
                self.reads += 1
            while self.futures:
                self._apply_done(block=True, timeout=IDLE_PAUSE)
                self._renew()
        Heartbeat.beat("poller")
        return f"poller: {self.reads} reads, {self.errors} errors"

    def _read(self, generation, key):
        # Network only: no database work off this thread. The pacing above spreads reads out; the
        # window is the guarantee, taken at the moment the request leaves.
        self.windows[key].wait()
        try:
            return self.provider.get_task(generation.provider_task_id, key=key, model=generation.model), None
        except ProviderError as error:
            return None, error
        except Exception as error:  # noqa: BLE001  (a read that breaks is that generation's error, not the pass's)
            log.exception("generation %s: read raised", generation.pk)
            return None, ProviderError(TEMPORARY, f"read raised {type(error).__name__}", malformed=True)

    def _apply_done(self, *, block, timeout=0):
        if not self.futures:
            if block and timeout:
                time.sleep(timeout)
            return
        done, _ = wait(list(self.futures), timeout=timeout if block else 0, return_when=FIRST_COMPLETED)
        for future in done:
            generation = self.futures.pop(future)
            try:
                state, error = future.result()
            except Exception as raised:  # noqa: BLE001
                state, error = None, ProviderError(TEMPORARY, f"read raised {type(raised).__name__}", malformed=True)
            self.errors += error is not None
            try:
                pipeline.apply_poll(generation, state=state, error=error)
            except Exception as raised:  # noqa: BLE001  (one generation's trouble must not stop the others)
                log.exception("generation %s: poll result not applied", generation.pk)
                # Its next read must still move back, or it stays first in line ahead of everyone.
                try:
                    pipeline.apply_poll(
                        generation, error=ProviderError(TEMPORARY, f"{type(raised).__name__}", malformed=True)
                    )
                except Exception:  # noqa: BLE001
                    log.exception("generation %s: poll error not recorded", generation.pk)
            self.in_flight.discard(generation.pk)

    def _renew(self):
        """Keep the lease while the loop runs; False when it was lost (this thread stalled past it)."""
        if self.held is None or time.monotonic() - self.renewed_at < RENEW_EVERY:
            return True
        self.renewed_at = time.monotonic()
        if not self.held.renew():
            log.warning("poller: lease lost to another runner, stopping")
            self.lost = True
            return False
        return True

    def _next_due(self):
        while self.buffer:
            generation = self.buffer.pop(0)
            if generation.pk not in self.in_flight:
                return generation
        due = (
            Generation.objects.filter(status=Generation.Status.PROCESSING, next_poll_at__lte=timezone.now())
            .exclude(pk__in=self.in_flight)
            .order_by("next_poll_at")
            .only("pk", "provider", "provider_task_id", "submitted_at", "attempts", "kind", "model")[:BATCH]
        )
        self.buffer = list(due)
        return self.buffer.pop(0) if self.buffer else None

    def _dispatch(self):
        if time.monotonic() - self.last_dispatch >= DISPATCH_EVERY:
            self.last_dispatch = time.monotonic()
            pipeline.dispatch_due()
