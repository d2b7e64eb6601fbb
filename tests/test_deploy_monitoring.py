"""deploy/: the Prometheus rules and the Grafana dashboard use only metrics /metrics really answers; the
watcher's and the backup's systemd units; scripts/backup dumps, keeps 14 days, and fails loudly."""

import configparser
import json
import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.test import Client
from django.utils import timezone

from billing.models import WebhookEvent
from generations import breaker
from generations.models import Generation
from neurocards.metrics import counters
from neurocards.models import Alert, Heartbeat
from tests.factories import make_generations, make_payment, make_user

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
METRIC = re.compile(r"\bneurocards_[a-z0-9_]+\b")
TOKEN = "metrics-token-0123456789"


def rule_expressions():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "neurocards-rules.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def dashboard_expressions():
    dashboard = json.loads((DEPLOY / "grafana" / "neurocards-dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


@pytest.fixture
def exposed(db, settings):
    """Every sample name of a /metrics answer rendered with data in every family."""
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    user = make_user()
    (failed,) = make_generations(user, count=1)
    Generation.objects.filter(pk=failed.pk).update(status="failed", error_class="user")
    make_payment(user)
    Heartbeat.beat("watchdog")
    Heartbeat.beat("watch")
    Alert.objects.create(key="queue:size")
    WebhookEvent.objects.create(provider="yookassa", payload="{}", status="failed")
    breaker.pause_billing("kie")
    for name in counters.SENDER_STATS.values():
        counters.add(name)
    counters.observe_provider_call("kie", "https://kie.example/api/v1/chat/credit", 0.2)
    counters.set_gauge("neurocards_kie_credits", 500)
    counters.set_gauge("neurocards_ledger_mismatches", 0)
    counters.flush()
    text = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}


@pytest.mark.parametrize("source", [rule_expressions, dashboard_expressions])
def test_it_uses_only_metrics_that_metrics_answers(exposed, source):
    expressions = source()
    used = {name for expression in expressions for name in METRIC.findall(expression)}

    assert expressions and used
    assert used <= exposed, f"not in /metrics: {sorted(used - exposed)}"


def test_it_gives_every_rule_a_name_a_summary_and_a_severity():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "neurocards-rules.yml").read_text())["groups"][0]["rules"]

    assert all(rule["alert"].startswith("NeuroCards") for rule in rules)
    assert all(rule["annotations"]["summary"] and rule["labels"]["severity"] for rule in rules)
    assert len({rule["alert"] for rule in rules}) == len(rules)


def test_it_exposes_the_watchers_numbers(exposed):
    assert {
        "neurocards_provider_paused",
        "neurocards_generations_past_deadline",
        "neurocards_yookassa_notifications_failed",
        "neurocards_heartbeat_age_seconds",
    } <= exposed


def test_it_alerts_on_a_video_model_paused_for_5_minutes_and_on_take_overs():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "neurocards-rules.yml").read_text())["groups"][0]["rules"]
    by_name = {rule["alert"]: rule for rule in rules}

    assert "neurocards_model_paused" in by_name["NeuroCardsModelPaused"]["expr"]
    assert by_name["NeuroCardsModelPaused"]["for"] == "5m"
    assert "neurocards_generations_taken_over" in by_name["NeuroCardsModelTakenOver"]["expr"]
    assert any("neurocards_generations_by_model" in expression for expression in dashboard_expressions())


def unit(name):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((DEPLOY / name).read_text())
    return parser


def test_it_runs_the_watcher_every_minute_outside_the_workers_as_the_workers_user():
    service, timer, worker = (
        unit("neurocards-watch.service"),
        unit("neurocards-watch.timer"),
        unit("neurocards-worker@.service"),
    )

    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["ExecStart"].endswith("manage.py watch_workers")
    for field in ("User", "Group", "WorkingDirectory", "EnvironmentFile"):
        assert service["Service"][field] == worker["Service"][field]
    assert "redis" not in service["Unit"].get("After", "") and "worker" not in service["Unit"].get("After", "")
    assert timer["Timer"]["OnCalendar"] == "*-*-* *:*:00"
    assert timer["Timer"]["Persistent"] == "true" and timer["Timer"]["AccuracySec"] == "1s"
    assert timer["Timer"]["Unit"] == "neurocards-watch.service"


def test_it_runs_the_backup_script_nightly():
    service, timer = unit("neurocards-backup.service"), unit("neurocards-backup.timer")

    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["ExecStart"] == "/opt/neurocards/scripts/backup"
    assert "/var/backups/neurocards" in service["Service"]["ReadWritePaths"]
    assert timer["Timer"]["OnCalendar"].startswith("*-*-* 03:") and timer["Timer"]["Persistent"] == "true"


def backup(tmp_path, database_url):
    env = {**os.environ, "BACKUP_DIR": str(tmp_path), "DATABASE_URL": database_url}
    return subprocess.run([ROOT / "scripts" / "backup"], env=env, capture_output=True, text=True, timeout=120)


def test_it_dumps_the_database_with_the_date_and_keeps_fourteen_days(transactional_db, tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("pg_dump needs PostgreSQL")
    params = connection.settings_dict
    url = f"postgres://{params['USER']}:{params['PASSWORD']}@{params['HOST']}:{params['PORT']}/{params['NAME']}"
    old, recent = tmp_path / "neurocards-old.dump", tmp_path / "neurocards-recent.dump"
    for path, days in ((old, 15), (recent, 3)):
        path.write_bytes(b"x")
        at = (timezone.now() - timedelta(days=days)).timestamp()
        os.utime(path, (at, at))

    run = backup(tmp_path, url)

    assert run.returncode == 0, run.stderr
    (dump,) = [path for path in tmp_path.glob("neurocards-*.dump") if path not in (old, recent)]
    assert re.fullmatch(r"neurocards-\d{4}-\d\d-\d\dT\d{6}Z\.dump", dump.name)
    assert dump.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    assert not old.exists() and recent.exists()


def test_it_fails_and_leaves_nothing_when_the_dump_fails(tmp_path):
    run = backup(tmp_path, "postgres://nobody:wrong@127.0.0.1:1/none")

    assert run.returncode != 0
    assert list(tmp_path.iterdir()) == []
