"""django-q2 adapters for work a webhook starts but must not wait for. Every one is safe to run twice."""

from botapp import notifications, purchase


def checkout(payment_id):
    return purchase.checkout(payment_id)


def payment_credited(payment_id):
    return notifications.payment_credited(payment_id)


def payment_canceled(payment_id):
    return notifications.payment_canceled(payment_id)
