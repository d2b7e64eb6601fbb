"""Run one function in many threads at once, each with its own database connection."""

import threading

from django.db import connections


def race(func, *, threads, args_for=None):
    """Start `threads` calls of func together; return [(result, exception)] in thread order."""
    barrier = threading.Barrier(threads)
    outcomes = [None] * threads

    def run(index):
        args = args_for(index) if args_for else ()
        try:
            barrier.wait(timeout=30)
            outcomes[index] = (func(*args), None)
        except Exception as error:  # noqa: BLE001  (the test inspects what each thread met)
            outcomes[index] = (None, error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers), "a racing thread hung"
    return outcomes
