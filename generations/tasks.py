"""django-q2 adapters: fetch by id, call a service. Every one is safe to run twice."""

from generations import closing, notify, pipeline, poller, support_notify, watchdog


def submit(generation_id):
    return pipeline.submit(generation_id=generation_id)


def finish(generation_id, attempt=None):
    return pipeline.finish(generation_id=generation_id, attempt=attempt)


def deliver(generation_id, lease):
    return notify.deliver_result(generation_id, lease=lease)


def tell_support_refund(generation_id, cancelled):
    return support_notify.refunded(generation_id, cancelled=cancelled)


def close_order(order_id):
    return closing.close_order(order_id)


def deliver_closing(order_id, lease):
    return closing.deliver(order_id, lease=lease)


def poll(wait=0.0, chained=False):
    return poller.run(wait=wait, chained=chained)


def run_watchdog():
    return watchdog.run()
