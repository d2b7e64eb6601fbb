import pytest
from django.core.management import call_command
from django_q.models import Schedule

from neurocards.schedules import SCHEDULES, ensure_schedules


@pytest.mark.django_db
def test_it_creates_the_schedules_once():
    assert ensure_schedules() == (len(SCHEDULES), 0, 0)
    assert ensure_schedules() == (0, 0, 0)

    assert set(Schedule.objects.values_list("name", flat=True)) == set(SCHEDULES)


@pytest.mark.django_db
def test_it_puts_a_changed_schedule_back_and_removes_our_stale_ones():
    ensure_schedules()
    name = next(iter(SCHEDULES))
    Schedule.objects.filter(name=name).update(minutes=999)
    Schedule.objects.create(name="gone", func="botapp.tasks.old_task", schedule_type=Schedule.MINUTES, minutes=5)
    Schedule.objects.create(name="someone else's", func="other.tasks.job", schedule_type=Schedule.MINUTES, minutes=5)

    assert ensure_schedules() == (0, 1, 1)

    assert Schedule.objects.get(name=name).minutes == SCHEDULES[name][1]
    assert Schedule.objects.filter(name="someone else's").exists()


@pytest.mark.django_db
def test_it_says_what_setup_schedules_did(capsys):
    call_command("setup_schedules")

    assert f"schedules: {len(SCHEDULES)} created, 0 updated, 0 removed" in capsys.readouterr().out
