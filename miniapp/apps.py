from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MiniAppConfig(AppConfig):
    name = "miniapp"
    verbose_name = _("Mini App")
