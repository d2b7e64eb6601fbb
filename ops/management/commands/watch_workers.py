from django.core.management.base import BaseCommand
from django.test import override_settings

from ops import watch


class Command(BaseCommand):
    help = (
        "One pass of the watcher (every minute from deploy/neurocards-watch.timer, outside the workers): tells "
        "ADMIN_CHAT_IDS once when the worker heartbeat is older than WORKER_STALE_SECONDS, the queue passes "
        "ALERT_QUEUE_SIZE, more than ALERT_STUCK generations are past their deadline, or more than "
        "ALERT_YOOKASSA_FAILURES YooKassa notifications failed in the hour; once more when each is over; and "
        "resumes submissions paused by an empty KIE account once its credits are back. Always exits 0."
    )

    def handle(self, *args, **options):
        try:
            # Messages paced through the database: the watcher must speak when Redis is what died.
            with override_settings(REDIS_URL=""):
                return watch.run()
        except Exception as error:  # noqa: BLE001  (a timer unit that fails every minute helps no one; logged)
            watch.log.exception("watch failed")
            return f"watch failed: {type(error).__name__}"
