from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "neurocards.metrics"
    label = "metrics"
    verbose_name = "Metrics"

    def ready(self):
        # Imported once the app registry is ready: counters import the Sample model.
        from django_q.signals import post_execute_in_worker

        from neurocards.metrics import counters

        # A worker adds what it counted once per task, not once per message or provider call.
        post_execute_in_worker.connect(counters.flush_after_task, dispatch_uid="neurocards.metrics.flush")
