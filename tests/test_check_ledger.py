import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from accounts.models import TelegramUser
from tests.factories import make_user


@pytest.mark.django_db
def test_it_reports_a_clean_ledger(capsys):
    make_user(credits=30)
    make_user()

    call_command("check_ledger")

    assert "2 users, all balances match" in capsys.readouterr().out


@pytest.mark.django_db
def test_it_exits_1_and_lists_each_user_whose_ledger_does_not_match(capsys):
    honest, tampered = make_user(credits=30), make_user(credits=10)
    TelegramUser.objects.filter(pk=tampered.pk).update(balance=F("balance") + 7)

    with pytest.raises(CommandError, match="1 mismatched users") as failure:
        call_command("check_ledger")

    assert failure.value.returncode == 1
    err = capsys.readouterr().err
    assert f"telegram {tampered.telegram_id}): balance 17, ledger 10" in err
    assert str(honest.telegram_id) not in err
