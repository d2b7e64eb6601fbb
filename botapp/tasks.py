"""django-q2 adapters for work a webhook starts but must not wait for. Every one is safe to run twice."""

from billing import tasks
from botapp import card_steps, purchase


def checkout(payment_id):
    return purchase.checkout(payment_id)


def suggest_points(user_id, token):
    return card_steps.suggest_points(user_id, token)


# The payment messages are billing's tasks now (billing.tasks); these names stay for the tasks a broker
# queued under them before the move, so that none is lost in a deploy.
payment_credited = tasks.payment_credited
payment_canceled = tasks.payment_canceled
