from django.apps import AppConfig
from django.core.signals import request_finished
from django.utils.translation import gettext_lazy as _


class BotAppConfig(AppConfig):
    name = "botapp"
    verbose_name = _("Bot")

    def ready(self):
        # Imported once the app registry is ready: handlers import models.
        from botapp import handlers

        request_finished.connect(handlers.close_request_thread_connections, dispatch_uid="botapp.close_request_thread")
