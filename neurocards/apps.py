from django.apps import AppConfig


class NeuroCardsConfig(AppConfig):
    name = "neurocards"
    verbose_name = "NeuroCards"

    def ready(self):
        from neurocards import checks  # noqa: F401  (registers the system checks)
