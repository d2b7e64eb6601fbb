"""django-otp's TOTP devices under a Russian name in the admin's index (superusers delete a lost phone's device
there). Its own module: an apps module with two configurations would leave Django choosing neither for "ops"."""

from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig


class SecondFactorConfig(DefaultConfig):
    verbose_name = _("Second factor")
