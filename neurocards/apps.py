from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NeuroCardsConfig(AppConfig):
    name = "neurocards"
    verbose_name = _("NeuroCards internals")

    def ready(self):
        # Imported once the app registry is ready: the checks and schedules import models.
        from django_q.signals import post_spawn

        from neurocards import checks  # noqa: F401  (registers the system checks)
        from neurocards.schedules import poll_at_start

        post_spawn.connect(poll_at_start, dispatch_uid="neurocards-poll-at-start")
