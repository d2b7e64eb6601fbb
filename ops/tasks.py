"""django-q2 adapters for the operations' schedules. Every one is safe to run twice."""

from ops import cleanup


def run_cleanup():
    return cleanup.run()
