"""Charges per second through billing.ledger against the bare conditional UPDATE, in the same run.

8 threads on PostgreSQL (a throw-away test database), first spread over many users, then all on one
hot user. The reference is the least any safe charge must do: `UPDATE … SET balance = balance - x
WHERE id = … AND balance >= x` in autocommit. The ledger also writes its row and keeps both in one
transaction. Run: `make bench` (DATABASE_URL or the local test role must reach PostgreSQL).
"""

import os
import threading
import time
import uuid

import common

common.setup_django()

import psycopg  # noqa: E402
from django.db import connection, connections  # noqa: E402

THREADS = 8
CHARGES_PER_THREAD = int(os.environ.get("BENCH_CHARGES", 400))
USERS = 800


def main():
    with common.throwaway_database("ledger"):
        run()


def run():
    from accounts.models import TelegramUser
    from billing import ledger

    total = THREADS * CHARGES_PER_THREAD
    # Two sets of alike rows: the ledger's users get credits through the ledger, as in production;
    # the reference's get a plain balance (its UPDATEs write no ledger rows).
    ours_users = TelegramUser.objects.bulk_create(TelegramUser(telegram_id=i + 1) for i in range(USERS))
    bare_users = TelegramUser.objects.bulk_create(
        TelegramUser(telegram_id=USERS + i + 1, balance=10 * total) for i in range(USERS)
    )
    for user in ours_users:
        ledger.grant_credits(user=user, amount=10 * total, actor=None, reason="bench", key=uuid.uuid4().hex)
    print(f"{THREADS} threads, {total} charges of 1 credit per scenario, PostgreSQL")
    for label, spread in (("many users", True), ("one hot user", False)):

        def pick(users, t, i, spread=spread):
            return users[(t * CHARGES_PER_THREAD + i) % USERS] if spread else users[0]

        bare = measure(lambda t, i, pick=pick: bare_charge(pick(bare_users, t, i).pk))
        plans = plan_generations(lambda t, i, pick=pick: pick(ours_users, t, i))
        ours = measure(lambda t, i, plans=plans: ledger.charge_generations(generations=[plans[t][i]]))
        print(f"{label:>13}: ledger {ours:8.0f} charges/s   bare UPDATE {bare:8.0f}/s   ratio {ours / bare:.2f}")
    ours_ids = {user.pk for user in ours_users}
    mismatches = [row for row in ledger.find_mismatches() if row[0].pk in ours_ids]
    print(f"check_ledger after the run: {len(mismatches)} mismatches")


def plan_generations(pick):
    from generations.models import Generation

    plans = []
    for t in range(THREADS):
        order = uuid.uuid4()
        plans.append(
            Generation.objects.bulk_create(
                Generation(
                    user=pick(t, i),
                    order_id=order,
                    kind="video",
                    template="ugc",
                    description="bench",
                    cost=1,
                    idempotency_key=f"{order}:{i}",
                )
                for i in range(CHARGES_PER_THREAD)
            )
        )
    return plans


_local = threading.local()


def bare_charge(user_id):
    if not hasattr(_local, "conn"):
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        _local.conn = psycopg.connect(**params, autocommit=True)
    with _local.conn.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_telegramuser SET balance = balance - %s WHERE id = %s AND balance >= %s",
            (1, user_id, 1),
        )


def measure(charge):
    barrier = threading.Barrier(THREADS + 1)
    errors = []

    def worker(t):
        barrier.wait()
        try:
            for i in range(CHARGES_PER_THREAD):
                charge(t, i)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()
            if hasattr(_local, "conn"):
                _local.conn.close()
                del _local.conn

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return THREADS * CHARGES_PER_THREAD / elapsed


if __name__ == "__main__":
    main()
