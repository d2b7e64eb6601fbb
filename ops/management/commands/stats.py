from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from generations import video_models
from ops import stats


class Command(BaseCommand):
    help = (
        "Print the operator's summary: users, generations by status and error, queue, time to complete, each "
        "model's generations, failures, refunds, take-overs, credits and time to result, payments "
        "and revenue, credits sold/spent/refunded and given by referrals and promo codes, new and paying users "
        "and revenue per campaign and per referrer over the last --days (7), and any ledger mismatch. Reads only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", default="7", help="the window, in days (default 7)")

    def handle(self, *args, days, **options):
        days = str(days)
        if not days.isascii() or not days.isdigit() or not 0 < int(days) <= 3650:
            raise CommandError(f"--days must be a whole number of days from 1 to 3650, not {days!r}.")
        data = stats.collect(days=int(days))
        for line in _lines(data):
            self.stdout.write(line)
        users, generations, mismatches = data["users"], data["generations"], data["ledger_mismatches"]
        payments = sum(
            row["count"] for by_status in data["payments"]["by_method"].values() for row in by_status.values()
        )
        return (
            f"stats: {data['days']} days, {users['total']} users, {generations['total']} generations, "
            f"{payments} payments, {f'{len(mismatches)} ledger mismatches' if mismatches else 'ledger ok'}"
        )


def _lines(data):
    users, generations, payments, credits = data["users"], data["generations"], data["payments"], data["credits"]
    yield f"last {data['days']} days, since {timezone.localtime(data['since']):%Y-%m-%d %H:%M}"
    yield (
        f"users: {users['total']} total, {users['new']} new, {users['active']} active, "
        f"{users['blocked_bot']} blocked the bot, {users['blocked_by_staff']} blocked by staff"
    )
    yield (
        f"generations: {generations['total']} ({_counts(generations['by_status'])}); "
        f"errors: {_counts(generations['by_error'])}"
    )
    completed_in = (
        ", ".join(
            f"{kind} {_duration(row['average_seconds'])} ({row['count']})"
            for kind, row in sorted(generations["completed_in"].items())
        )
        or "none completed"
    )
    yield (
        f"now: {generations['queued']} queued, {generations['in_flight']} in flight; "
        f"average to complete: {completed_in}"
    )
    yield from _by_model(data["by_model"])
    methods = (
        "; ".join(
            f"{method} "
            + ", ".join(
                f"{status} {row['count']} ({_money(row['amount'], row['currency'])})"
                for status, row in sorted(by_status.items())
            )
            for method, by_status in sorted(payments["by_method"].items())
        )
        or "none"
    )
    revenue = ", ".join(_money(amount, currency) for currency, amount in sorted(payments["revenue"].items())) or "0"
    yield f"payments: {methods}; revenue {revenue}"
    yield ("credits: " + ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in credits.items()))
    growth = data["growth"]
    yield "campaigns: " + ("; ".join(_growth(row["name"], row) for row in growth["campaigns"]) or "none")
    yield "top referrers: " + (
        "; ".join(_growth(f"telegram {row['name'].telegram_id}", row) for row in growth["referrers"]) or "none"
    )
    mismatches = data["ledger_mismatches"]
    yield "ledger: " + (
        f"{len(mismatches)} mismatched: "
        + ", ".join(
            f"telegram {row['telegram_id']} (balance {row['balance']}, ledger {row['ledger']})"
            for row in mismatches[:10]
        )
        if mismatches
        else "every balance matches"
    )


def _by_model(figures):
    for key, row in figures.items():
        model = video_models.get(key)
        name = f"{key} ({model.label})" if model else key or "unknown"
        average = _duration(row["average_seconds"]) if row["average_seconds"] is not None else "—"
        yield (
            f"model {name}: {row['generations']} generations, {row['completed']} completed, {row['failed']} failed, "
            f"{row['refunded']} refunded, {row['taken_over']} taken over from the model ordered, "
            f"{row['charged']} credits charged, {row['credits_refunded']} credits refunded, "
            f"average to result {average}"
        )


def _growth(name, row):
    revenue = ", ".join(_money(amount, currency) for currency, amount in sorted(row["revenue"].items())) or "0"
    return f"{name} {row['new']} new, {row['paying']} paying, revenue {revenue}"


def _counts(counts):
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items())) or "none"


def _money(amount, currency):
    # Stars are whole; roubles have kopecks.
    return f"{amount:.0f} {currency}" if currency == "XTR" else f"{amount:.2f} {currency}"


def _duration(seconds):
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
