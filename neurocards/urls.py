from django.contrib import admin
from django.urls import include, path

from ops import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("", include("botapp.urls")),
    path("", include("generations.urls")),
    path("", include("billing.urls")),
]
