import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neurocards.settings")
application = get_asgi_application()

# uvicorn runs no system checks: run them once per process so that a production start-up with a
# missing secret stops here, with the variable's name, instead of failing on the first update.
from django.core import checks  # noqa: E402
from django.core.management.base import SystemCheckError  # noqa: E402

_errors = [m for m in checks.run_checks(include_deployment_checks=False) if m.is_serious()]
if _errors:
    raise SystemCheckError("\n".join(f"{m.id}: {m.msg}" for m in _errors))
