from django.urls import path

from botapp import views

urlpatterns = [path("telegram/webhook/", views.webhook, name="telegram-webhook")]
