from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = _("Operations")

    def ready(self):
        # Once the admin app is loaded: the audit list registers with admin.site, the console names the site.
        from ops import audit, console  # noqa: F401


class SecondFactorConfig(TOTPConfig):
    """django-otp's TOTP devices under a Russian name in the admin's index (superusers delete a lost phone's
    device there)."""

    verbose_name = _("Second factor")
