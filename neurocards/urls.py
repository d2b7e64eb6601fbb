from django.contrib import admin
from django.urls import include, path

from ops import second_factor, views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    # The second factor's pages (ops/second_factor.py), inside the admin: its login, its CSP.
    path("admin/code/", admin.site.admin_view(second_factor.verify), name="second_factor_verify"),
    path("admin/code/new/", admin.site.admin_view(second_factor.enrol), name="second_factor_enrol"),
    path("admin/", admin.site.urls),
    # set_language: the admin header's Русский / English switch (neurocards.lib.middleware.StaffLocale).
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("botapp.urls")),
    path("", include("miniapp.urls")),
    path("", include("generations.urls")),
    path("", include("billing.urls")),
]
