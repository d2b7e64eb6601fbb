"""django-q2 keeps tasks by dotted path (schedules in the database, queued tasks in the broker): moving a task
function must not leave a path that no longer imports."""

import importlib

import pytest
from django.apps import apps
from django.utils.module_loading import import_string
from django_q.models import Schedule

from billing import tasks as billing_tasks
from botapp import tasks as botapp_tasks
from neurocards.schedules import SCHEDULES

moved = importlib.import_module("ops.migrations.0001_moved_task_paths")


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_it_imports_every_scheduled_task(name):
    func, _ = SCHEDULES[name]

    assert callable(import_string(func))


def test_it_still_runs_payment_messages_queued_under_their_old_names():
    assert import_string("botapp.tasks.payment_credited") is billing_tasks.payment_credited
    assert import_string("botapp.tasks.payment_canceled") is billing_tasks.payment_canceled
    assert callable(botapp_tasks.checkout)


@pytest.mark.django_db
def test_it_renames_the_moved_tasks_in_schedules_a_database_already_has():
    for number, old in enumerate(moved.MOVED):
        Schedule.objects.create(name=f"old-{number}", func=old, schedule_type=Schedule.MINUTES, minutes=5)
    Schedule.objects.create(name="theirs", func="someone.else.task", schedule_type=Schedule.MINUTES, minutes=5)

    moved.forwards(apps, None)

    funcs = set(Schedule.objects.values_list("func", flat=True))
    assert funcs == {*moved.MOVED.values(), "someone.else.task"}
    assert all(callable(import_string(func)) for func in moved.MOVED.values())
