"""Schedules store their task's dotted path: the tasks that moved to ops (issue 10) are renamed in the rows a
database already has, so a cluster running the new code never calls a path that is gone. setup_schedules
would rewrite them too, but only when it runs; this runs with `migrate`, before the new code takes tasks."""

from django.db import migrations

MOVED = {
    "generations.tasks.run_cleanup": "ops.tasks.run_cleanup",
    "neurocards.monitoring.audit_ledger": "ops.monitoring.audit_ledger",
    "neurocards.monitoring.check_services": "ops.monitoring.check_services",
}


def forwards(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for old, new in MOVED.items():
        Schedule.objects.filter(func=old).update(func=new)


def backwards(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for old, new in MOVED.items():
        Schedule.objects.filter(func=new).update(func=old)


class Migration(migrations.Migration):
    dependencies = [("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more")]

    operations = [migrations.RunPython(forwards, backwards)]
