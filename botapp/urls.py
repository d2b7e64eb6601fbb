from django.urls import path

from botapp import example_views, views

urlpatterns = [
    path("telegram/webhook/", views.webhook, name="telegram-webhook"),
    # Never public: the admin's preview, behind a permission check.
    path("examples/<int:pk>/file/", example_views.example_file, name="example-file"),
]
