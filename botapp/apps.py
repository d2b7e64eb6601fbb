from django.apps import AppConfig


class BotAppConfig(AppConfig):
    name = "botapp"
    verbose_name = "Bot"
