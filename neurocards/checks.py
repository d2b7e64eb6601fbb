"""System checks: a feature whose secrets are missing is named here, with the variable to set."""

from django.conf import settings
from django.core.checks import Error, Warning, register


def _missing(level, feature, names, hint, number):
    check_id = f"neurocards.{'E' if level is Error else 'W'}{number:03d}"
    return level(
        f"{feature} is not configured: {', '.join(names)} {'is' if len(names) == 1 else 'are'} empty.",
        hint=hint,
        id=check_id,
    )


@register()
def check_features(app_configs, **kwargs):
    # In debug a missing secret only warns (the demo runs on fakes); in production it is an error,
    # which stops `manage.py` commands and the ASGI start-up.
    level = Warning if settings.DEBUG else Error
    problems = []

    telegram = [
        name for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET") if not getattr(settings, name)
    ]
    if telegram:
        problems.append(
            _missing(level, "Telegram", telegram, "Get the token from @BotFather; the secret is any "
                     "1-256 characters of A-Z a-z 0-9 _ -.", 1)
        )

    if settings.GENERATION_PROVIDER == "kie" and not settings.KIE_API_KEYS:
        # Asking for KIE explicitly without keys is always an error: every generation would fail.
        problems.append(
            _missing(Error, "KIE AI", ["KIE_API_KEYS"], "Comma-separated keys from kie.ai, or "
                     "GENERATION_PROVIDER=local.", 2)
        )
    elif settings.GENERATION_PROVIDER not in ("kie", "local"):
        problems.append(
            Error(f"GENERATION_PROVIDER must be 'kie' or 'local', not {settings.GENERATION_PROVIDER!r}.",
                  id="neurocards.E003")
        )

    if "yookassa" in settings.PAYMENT_METHODS:
        yookassa = [name for name in ("YOOKASSA_SHOP_ID", "YOOKASSA_SECRET_KEY") if not getattr(settings, name)]
        if yookassa:
            problems.append(
                _missing(level, "YooKassa", yookassa, "Take them from the YooKassa shop settings, or "
                         "drop yookassa from PAYMENT_METHODS.", 4)
            )
    unknown = set(settings.PAYMENT_METHODS) - {"yookassa", "stars"}
    if unknown:
        problems.append(
            Error(f"PAYMENT_METHODS has unknown methods: {', '.join(sorted(unknown))}.",
                  hint="Use yookassa and/or stars.", id="neurocards.E005")
        )
    return problems


S3_REQUIRED = ("S3_BUCKET", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY")


@register()
def check_media_storage(app_configs, **kwargs):
    # Always an error, as KIE without keys: with the bucket half-configured every result would be lost.
    if settings.MEDIA_STORAGE == "filesystem":
        return []
    if settings.MEDIA_STORAGE != "s3":
        return [Error(f"MEDIA_STORAGE must be 'filesystem' or 's3', not {settings.MEDIA_STORAGE!r}.",
                      id="neurocards.E041")]
    missing = [name for name in S3_REQUIRED if not getattr(settings, name)]
    if missing:
        return [_missing(Error, "S3 media storage", missing, "Create a private bucket and a key that may read and "
                         "write it, or MEDIA_STORAGE=filesystem.", 40)]
    return []
