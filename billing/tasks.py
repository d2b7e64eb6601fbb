"""django-q2 adapters for what billing sends after a webhook: fetch by id, send once. Safe to run twice."""

from billing import notify, referrals


def payment_credited(payment_id):
    return notify.payment_credited(payment_id)


def payment_canceled(payment_id):
    return notify.payment_canceled(payment_id)


def referral_rewarded(payment_id):
    return referrals.tell_rewarded(payment_id)


def referral_taken_back(payment_id):
    return referrals.tell_taken_back(payment_id)
