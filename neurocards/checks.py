"""System checks: a feature whose secrets are missing is named here, with the variable to set, and so is a
value that would run wrongly (a zero cost, a placeholder secret, an http public address)."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Warning, register

from generations import callbacks
from generations.video_models import CATALOG


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

    telegram = [name for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET") if not getattr(settings, name)]
    if telegram:
        problems.append(
            _missing(
                level,
                "Telegram",
                telegram,
                "Get the token from @BotFather; the secret is any 1-256 characters of A-Z a-z 0-9 _ -.",
                1,
            )
        )

    if settings.GENERATION_PROVIDER == "kie" and not settings.KIE_API_KEYS:
        # Asking for KIE explicitly without keys is always an error: every generation would fail.
        problems.append(
            _missing(
                Error, "KIE AI", ["KIE_API_KEYS"], "Comma-separated keys from kie.ai, or GENERATION_PROVIDER=local.", 2
            )
        )
    elif settings.GENERATION_PROVIDER not in ("kie", "local"):
        problems.append(
            Error(
                f"GENERATION_PROVIDER must be 'kie' or 'local', not {settings.GENERATION_PROVIDER!r}.",
                id="neurocards.E003",
            )
        )

    if "yookassa" in settings.PAYMENT_METHODS:
        yookassa = [name for name in ("YOOKASSA_SHOP_ID", "YOOKASSA_SECRET_KEY") if not getattr(settings, name)]
        if yookassa:
            problems.append(
                _missing(
                    level,
                    "YooKassa",
                    yookassa,
                    "Take them from the YooKassa shop settings, or drop yookassa from PAYMENT_METHODS.",
                    4,
                )
            )
    unknown = set(settings.PAYMENT_METHODS) - {"yookassa", "stars"}
    if unknown:
        problems.append(
            Error(
                f"PAYMENT_METHODS has unknown methods: {', '.join(sorted(unknown))}.",
                hint="Use yookassa and/or stars.",
                id="neurocards.E005",
            )
        )
    return problems


# --- Values that would run, but wrongly ----------------------------------------------------------------------
# A cost or limit of 0 turns a feature into "free" or "refuse everyone"; only these mean "off" at 0 (README).
AT_LEAST_ONE = (
    "VIDEO_COST",
    "IMAGE_COST",
    "MAX_ACTIVE_ORDERS",
    "RATE_LIMIT_GENERATIONS_PER_HOUR",
    "RATE_LIMIT_TOPUP_PER_HOUR",
    "MAX_QUEUE_SIZE",
    "VIDEO_TIMEOUT_MINUTES",
    "IMAGE_TIMEOUT_MINUTES",
    "RESULT_TTL_DAYS",
    "REFERENCE_TTL_DAYS",
    "UPDATE_ID_TTL_DAYS",
    "PAYLOAD_TTL_DAYS",
    "FLOOD_UPDATES_PER_MINUTE",
    "BREAKER_FAILURES",
    "BREAKER_COOLDOWN_SECONDS",
    "QUEUE_ALERT_MINUTES",
    "KIE_KEY_COOLDOWN_SECONDS",
    "PROMO_TRIES_PER_HOUR",
)
# 0: no welcome credits / no low-credit alert / no invitee's welcome, referral reward, rewarded payment, daily cap.
ZERO_IS_OFF = (
    "WELCOME_CREDITS",
    "KIE_MIN_CREDITS",
    "REFERRAL_WELCOME_CREDITS",
    "REFERRAL_REWARD_PERCENT",
    "REFERRAL_REWARDED_PAYMENTS",
    "REFERRAL_DAILY_CAP",
)
ABOVE_ZERO = (
    "TELEGRAM_MESSAGES_PER_SECOND",
    "TELEGRAM_CHAT_INTERVAL_SECONDS",
    "KIE_POLL_RATE_PER_KEY",
    "KIE_TIMEOUT_SECONDS",
    "OPENAI_TIMEOUT_SECONDS",
    "YOOKASSA_TIMEOUT_SECONDS",
)  # fractions allowed
SECRETS = (
    "SECRET_KEY",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "YOOKASSA_SHOP_ID",
    "YOOKASSA_SECRET_KEY",
    "METRICS_TOKEN",
    "KIE_API_KEYS",
    "KIE_WEBHOOK_HMAC_KEY",
    "OPENAI_API_KEY",
)
# What .env.example ships for its secrets (tests/test_startup_checks.py keeps this in step with the file): a copy
# left unfilled must not go live with a key anyone can read on GitHub.
PLACEHOLDERS = {
    "change-me",
    "000000000:placeholder",
    "placeholder-secret",
    "000000",
    "placeholder",
    "placeholder-token",
}
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram's setWebhook accepts as secret_token
METRICS_TOKEN_MIN_LENGTH = 32


def is_placeholder(value):
    value = value.strip().lower()
    return value in PLACEHOLDERS or any(word in value for word in ("placeholder", "change-me", "changeme"))


@register()
def check_values(app_configs, **kwargs):
    """Settings that are present but would misbehave. Messages name the variable, never its value."""
    level = Warning if settings.DEBUG else Error
    problems = []

    numbers = {name: getattr(settings, name) for name in (*AT_LEAST_ONE, *ZERO_IS_OFF, *ABOVE_ZERO)}
    numbers["Q_WORKERS"] = settings.Q_CLUSTER["workers"]
    low = [name for name in (*AT_LEAST_ONE, "Q_WORKERS") if numbers[name] < 1]
    low += [name for name in ZERO_IS_OFF if numbers[name] < 0]
    low += [name for name in ABOVE_ZERO if not numbers[name] > 0]
    if low:
        problems.append(
            level(
                f"Costs and limits out of range: {', '.join(low)}.",
                hint=f"Each must be at least 1 ({', '.join(ZERO_IS_OFF)} may be 0, meaning off; "
                f"{', '.join(ABOVE_ZERO)} may be fractions above 0).",
                id=_id(level, 101),
            )
        )

    secret = settings.TELEGRAM_WEBHOOK_SECRET
    if secret and not WEBHOOK_SECRET.fullmatch(secret):
        problems.append(
            level(
                "TELEGRAM_WEBHOOK_SECRET has characters Telegram does not accept.",
                hint='1-256 characters of A-Z a-z 0-9 _ -, e.g. python3 -c "import secrets; '
                'print(secrets.token_urlsafe(32))".',
                id=_id(level, 102),
            )
        )

    problems += _public_base_url(level)

    placeholders = [name for name in SECRETS if any(is_placeholder(value) for value in _values(name))]
    if placeholders:
        problems.append(
            level(
                f"{', '.join(placeholders)} still {'has' if len(placeholders) == 1 else 'have'} "
                f"the placeholder of .env.example.",
                hint="Fill in the real secret (or leave an optional one empty).",
                id=_id(level, 104),
            )
        )

    problems += _video_costs(level)

    if not settings.ADMIN_REQUIRE_OTP and not settings.DEBUG:
        # Only a warning: a deployment may put the admin behind its own second factor (a VPN, an SSO proxy).
        problems.append(
            Warning(
                "ADMIN_REQUIRE_OTP is off: staff who can move credits sign in to the admin with a password alone.",
                hint="Set ADMIN_REQUIRE_OTP=true (the default with DJANGO_DEBUG off); docs/second-factor.md.",
                id="neurocards.W108",
            )
        )

    if settings.METRICS_TOKEN and len(settings.METRICS_TOKEN) < METRICS_TOKEN_MIN_LENGTH:
        problems.append(
            level(
                f"METRICS_TOKEN is shorter than {METRICS_TOKEN_MIN_LENGTH} characters.",
                hint='python3 -c "import secrets; print(secrets.token_urlsafe(32))", or leave it '
                "empty and use METRICS_ALLOWED_IPS.",
                id=_id(level, 105),
            )
        )
    return problems


def _public_base_url(level):
    url = settings.PUBLIC_BASE_URL
    if url:
        if not url.startswith("https://") or not urlsplit(url).hostname:
            return [
                level(
                    "PUBLIC_BASE_URL must be an https:// address.",
                    hint="Telegram delivers webhooks and YooKassa returns payers only over https.",
                    id=_id(level, 103),
                )
            ]
        return []
    if settings.DEBUG:
        return []
    if "yookassa" in settings.PAYMENT_METHODS and not settings.YOOKASSA_RETURN_URL:
        return [
            Error(
                "PUBLIC_BASE_URL is empty: YooKassa would be given a relative return address.",
                hint="Set PUBLIC_BASE_URL=https://your.host (or YOOKASSA_RETURN_URL).",
                id="neurocards.E106",
            )
        ]
    # Long polling (runbot) works without it; the webhook and KIE callbacks don't.
    return [
        Warning(
            "PUBLIC_BASE_URL is empty: setwebhook refuses and KIE callbacks are off.",
            hint="Set PUBLIC_BASE_URL=https://your.host for the webhook.",
            id="neurocards.W106",
        )
    ]


SORA_DURATIONS = (10, 15)  # KIE's n_frames for Sora 2


def _video_costs(level):
    costs = settings.VIDEO_COSTS
    wrong = sorted(seconds for seconds in costs if seconds not in SORA_DURATIONS)
    free = sorted(seconds for seconds, cost in costs.items() if cost < 1)
    if not wrong and not free and settings.KIE_VIDEO_SECONDS in costs:
        return []
    return [
        level(
            "VIDEO_COSTS must price the default duration (KIE_VIDEO_SECONDS) and only durations the video "
            "model makes, each at 1 credit or more.",
            hint=f"Durations Sora 2 makes: {', '.join(map(str, SORA_DURATIONS))} s, e.g. VIDEO_COSTS=10=10,15=15.",
            id=_id(level, 107),
        )
    ]


def _values(name):
    value = getattr(settings, name)
    return value if isinstance(value, list) else [value]


def _id(level, number):
    return f"neurocards.{'E' if level is Error else 'W'}{number:03d}"


S3_REQUIRED = ("S3_BUCKET", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY")


@register()
def check_media_storage(app_configs, **kwargs):
    # Always an error, as KIE without keys: with the bucket half-configured every result would be lost.
    if settings.MEDIA_STORAGE == "filesystem":
        return []
    if settings.MEDIA_STORAGE != "s3":
        return [
            Error(f"MEDIA_STORAGE must be 'filesystem' or 's3', not {settings.MEDIA_STORAGE!r}.", id="neurocards.E041")
        ]
    missing = [name for name in S3_REQUIRED if not getattr(settings, name)]
    if missing:
        return [
            _missing(
                Error,
                "S3 media storage",
                missing,
                "Create a private bucket and a key that may read and write it, or MEDIA_STORAGE=filesystem.",
                40,
            )
        ]
    return []


@register()
def check_video_models(app_configs, **kwargs):
    level = Warning if settings.DEBUG else Error
    known = ", ".join(CATALOG)
    named = [*settings.VIDEO_MODELS, *settings.VIDEO_PRICES, *settings.VIDEO_TIMEOUTS]
    unknown = sorted({key for key in named if key not in CATALOG})
    problems = []
    if unknown:
        problems.append(
            level(
                f"VIDEO_MODELS, VIDEO_PRICES or VIDEO_TIMEOUTS name unknown video models: {', '.join(unknown)}.",
                hint=f"The models: {known}.",
                id=_id(level, 109),
            )
        )
    wrong = [
        key
        for key, prices in settings.VIDEO_PRICES.items()
        if key in CATALOG and (not prices or any(s not in CATALOG[key].makes or cost < 1 for s, cost in prices.items()))
    ]
    wrong += [key for key, minutes in settings.VIDEO_TIMEOUTS.items() if minutes < 1]
    if wrong:
        makes = "; ".join(f"{key} makes {', '.join(map(str, model.makes))} s" for key, model in CATALOG.items())
        problems.append(
            level(
                f"VIDEO_PRICES or VIDEO_TIMEOUTS are out of range for: {', '.join(sorted(set(wrong)))}.",
                hint=f"Each price is 1 credit or more for a duration the model makes ({makes}); "
                "each deadline 1 minute or more.",
                id=_id(level, 110),
            )
        )
    on = [key for key in dict.fromkeys(settings.VIDEO_MODELS) if key in CATALOG]
    if settings.VIDEO_FALLBACK and len(on) < 2:
        problems.append(
            Warning(
                "VIDEO_FALLBACK is on with a single video model: there is no other model to take orders over.",
                hint="Turn on another model in VIDEO_MODELS (e.g. VIDEO_MODELS=sora2,veo3_fast).",
                id="neurocards.W111",
            )
        )
    return problems


@register()
def check_callbacks(app_configs, **kwargs):
    """A KIE_CALLBACK_BASE_URL of its own that can't be used: plain http to anything but this machine."""
    if not settings.KIE_CALLBACK_BASE_URL or callbacks.base_url() is not None:
        return []  # PUBLIC_BASE_URL is checked on its own (neurocards.W103/E103)
    return [
        Warning(
            "KIE_CALLBACK_BASE_URL is neither https nor http to a loopback address: KIE callbacks are off.",
            hint="Leave it empty (PUBLIC_BASE_URL is used) or set an https:// address.",
            id="neurocards.W120",
        )
    ]
