"""`make setup` and `make demo` run the system checks once (`manage.py check`), and every later manage.py command
skips them, so a warning such as neurocards.W001 is printed once per run of make."""

import re
import shutil
import subprocess

import pytest
from django.conf import settings
from django.core.management import get_commands, load_command_class

pytestmark = pytest.mark.skipif(not shutil.which("make"), reason="needs make")


def planned(target):
    """The manage.py commands `make -n target` would run (nothing is run), without their environment prefix."""
    run = subprocess.run(
        ["make", "-n", "--no-print-directory", target],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return [line.split("manage.py", 1)[1].split() for line in run.stdout.splitlines() if "manage.py" in line]


@pytest.mark.parametrize("target", ["setup", "demo"])
def test_it_runs_the_checks_once_and_skips_them_after(target):
    commands = planned(target)

    checks = [args for args in commands if args[0] == "check"]
    # compilecatalogs runs no checks at all (it needs no database).
    unchecked = [
        args for args in commands if args[0] not in ("check", "compilecatalogs") and "--skip-checks" not in args
    ]
    assert len(checks) == 1 and commands.index(checks[0]) < 2
    assert unchecked == []
    assert {"migrate", "setup_roles"} <= {args[0] for args in commands}


def test_it_calls_only_commands_that_take_skip_checks():
    makefile = (settings.BASE_DIR / "Makefile").read_text()
    names = set(re.findall(r"\$\(MANAGE\) (\w+) [^\n]*--skip-checks", makefile))

    assert {"migrate", "setup_roles", "demo"} <= names
    for name in names:
        parser = load_command_class(get_commands()[name], name).create_parser("manage.py", name)
        assert parser.parse_args(["--skip-checks"]).skip_checks, name
