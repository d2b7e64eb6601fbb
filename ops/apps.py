from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = _("Operations")

    def ready(self):
        # Once the admin app is loaded: the audit list registers with admin.site, the console names the site.
        from ops import audit, console  # noqa: F401
