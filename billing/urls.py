from django.urls import path

from billing import views

urlpatterns = [
    path("billing/yookassa/webhook/", views.yookassa_webhook, name="yookassa-webhook"),
    path("billing/return/", views.payment_return, name="payment-return"),
]
