"""NeuroCards settings: one module, everything from the environment (see .env.example)."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DJANGO_DEBUG is off: set it in the environment or .env."
        )
    SECRET_KEY = "insecure-debug-only-key"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="").rstrip("/")
CSRF_TRUSTED_ORIGINS = [PUBLIC_BASE_URL] if PUBLIC_BASE_URL.startswith("https://") else []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "ops.second_factor_app.SecondFactorConfig",  # django_otp.plugins.otp_totp, named in Russian
    "django_q",
    "neurocards",
    "neurocards.metrics",
    "accounts",
    "billing",
    "generations",
    "botapp",
    "miniapp",
    "messaging",
    "ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Right after security, as whitenoise asks: /static/ is answered before sessions and locale are looked at.
    "neurocards.lib.static.StaticFiles",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "neurocards.lib.middleware.StaffLocale",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    # Staff who can move credits and have not passed the code this session see only the code's pages.
    "ops.second_factor.RequireSecondFactor",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "neurocards.lib.middleware.AdminContentSecurityPolicy",
    # Last, as django-axes asks: it turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "neurocards.urls"
ASGI_APPLICATION = "neurocards.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The embedded default is a SQLite file; DATABASE_URL=postgres://… switches to PostgreSQL.
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # Web and workers write at once: take the write lock at BEGIN instead of failing on upgrade,
        # and wait for it rather than raising "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Persistent connections sized by the process count (web workers + qcluster workers), checked
    # before reuse so a restarted PostgreSQL does not surface as an error in a request.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Threads that run the Telegram webhook's database work, per web process: each keeps one persistent
# connection, so this is the web process's share of PostgreSQL's max_connections (botapp/handlers.py).
WEB_DB_THREADS = env.int("WEB_DB_THREADS", default=4)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Staff login: django-axes throttles password guessing on the admin --------------------------------------
# The axes backend first: it refuses a locked-out login before the password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
# Either one locks: a username guessed at from many addresses, and an address guessing many usernames.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# The caller as every other view sees it: X-Forwarded-For only from TRUSTED_PROXIES, so a guesser can't
# get a fresh address per try by making one up.
AXES_CLIENT_IP_CALLABLE = "neurocards.lib.network.caller"

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# whitenoise (neurocards/lib/static.py) serves STATIC_ROOT after collectstatic (deploy), and the apps' own static
# folders without it (make run, tests), so the admin is styled with or without nginx in front.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")

# --- Media: private, on the filesystem (the embedded default) or S3-compatible object storage ---
# Nothing serves MEDIA_ROOT or the bucket publicly: staff and sellers' links go through generations/media_views.py.
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="filesystem")
# Filesystem: the nginx `internal` location the app names in X-Accel-Redirect (deploy/nginx.conf); empty = the app
# streams the file itself (debug, tests, no nginx in front).
MEDIA_ACCEL_REDIRECT_PREFIX = env.str("MEDIA_ACCEL_REDIRECT_PREFIX", default="" if DEBUG else "/protected-media/")
S3_BUCKET = env.str("S3_BUCKET", default="")
S3_ENDPOINT_URL = env.str("S3_ENDPOINT_URL", default="")  # empty = AWS; else the provider's (or MinIO's) URL
S3_REGION = env.str("S3_REGION", default="")
S3_ACCESS_KEY_ID = env.str("S3_ACCESS_KEY_ID", default="")
S3_SECRET_ACCESS_KEY = env.str("S3_SECRET_ACCESS_KEY", default="")
S3_ADDRESSING_STYLE = env.str("S3_ADDRESSING_STYLE", default="auto")  # path for most S3-compatible services
S3_URL_SECONDS = env.int("S3_URL_SECONDS", default=300)  # how long a presigned GET works
S3_TIMEOUT_SECONDS = env.float("S3_TIMEOUT_SECONDS", default=30.0)
# A seller's link to a video too large for Telegram's upload works this long.
RESULT_LINK_HOURS = env.int("RESULT_LINK_HOURS", default=72)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if MEDIA_STORAGE == "s3":
    # Imported only here: botocore takes a fifth of a second to load, and a filesystem deployment needs none of it.
    from neurocards.lib import s3

    STORAGES["default"] = s3.storage(
        bucket=S3_BUCKET,
        endpoint_url=S3_ENDPOINT_URL,
        region=S3_REGION,
        access_key=S3_ACCESS_KEY_ID,
        secret_key=S3_SECRET_ACCESS_KEY,
        addressing_style=S3_ADDRESSING_STYLE,
        url_seconds=S3_URL_SECONDS,
        timeout=S3_TIMEOUT_SECONDS,
    )

# --- HTTPS: the reverse proxy terminates TLS and says so in X-Forwarded-Proto ------------------
# With DEBUG off every default is the production one (`manage.py check --deploy` reports nothing).
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# On once the public address is https. The tests and local runs leave PUBLIC_BASE_URL empty and speak
# plain http to the app; the probes stay reachable over http for local checks and Prometheus.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG and PUBLIC_BASE_URL.startswith("https://"))
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Sent on https responses only. Preload is inert until someone submits the (apex) domain to the list.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)

# --- Telegram -------------------------------------------------------------------------------
TELEGRAM_BOT_TOKEN = env.str("TELEGRAM_BOT_TOKEN", default="")
TELEGRAM_WEBHOOK_SECRET = env.str("TELEGRAM_WEBHOOK_SECRET", default="")
TELEGRAM_API_BASE_URL = env.str("TELEGRAM_API_BASE_URL", default="https://api.telegram.org").rstrip("/")
# Telegram allows about 30 messages a second overall and 1 a second per chat; stay a little under.
TELEGRAM_MESSAGES_PER_SECOND = env.float("TELEGRAM_MESSAGES_PER_SECOND", default=28.5)
TELEGRAM_CHAT_INTERVAL_SECONDS = env.float("TELEGRAM_CHAT_INTERVAL_SECONDS", default=1.0)
# The Mini App page (/miniapp/) loads Telegram's script from here; its origin is the one script origin the page's
# Content-Security-Policy allows besides our own (the tests point it at a local stub).
MINIAPP_WEBAPP_JS_URL = env.str("MINIAPP_WEBAPP_JS_URL", default="https://telegram.org/js/telegram-web-app.js")

# --- Generation provider --------------------------------------------------------------------
KIE_API_KEYS = [key for key in env.list("KIE_API_KEYS", default=[]) if key]
GENERATION_PROVIDER = env.str("GENERATION_PROVIDER", default="") or ("kie" if KIE_API_KEYS else "local")
KIE_API_BASE_URL = env.str("KIE_API_BASE_URL", default="https://api.kie.ai").rstrip("/")
KIE_UPLOAD_BASE_URL = env.str("KIE_UPLOAD_BASE_URL", default="https://kieai.redpandaai.co").rstrip("/")
KIE_WEBHOOK_HMAC_KEY = env.str("KIE_WEBHOOK_HMAC_KEY", default="")
# Where KIE calls back when a task moves: PUBLIC_BASE_URL by default. Taken when https, or plain http to a
# loopback address only (a bench or a demo with every process on one machine); anything else means no
# callbacks, and the poller alone notices results (generations/callbacks.py, check W120).
KIE_CALLBACK_BASE_URL = env.str("KIE_CALLBACK_BASE_URL", default="").rstrip("/")
KIE_MIN_CREDITS = env.int("KIE_MIN_CREDITS", default=0)
KIE_VIDEO_MODEL = env.str("KIE_VIDEO_MODEL", default="sora-2-image-to-video")
KIE_IMAGE_MODEL = env.str("KIE_IMAGE_MODEL", default="google/nano-banana-edit")
KIE_VIDEO_ASPECT_RATIO = env.str("KIE_VIDEO_ASPECT_RATIO", default="portrait")
KIE_VIDEO_SECONDS = env.int("KIE_VIDEO_SECONDS", default=10)
KIE_TIMEOUT_SECONDS = env.float("KIE_TIMEOUT_SECONDS", default=30.0)
KIE_KEY_COOLDOWN_SECONDS = env.int("KIE_KEY_COOLDOWN_SECONDS", default=60)
# recordInfo allows 10 requests/s per key; keep a margin so jitter never trips a 429.
KIE_POLL_RATE_PER_KEY = env.float("KIE_POLL_RATE_PER_KEY", default=9.5)
# Result URLs are fetched only from public https hosts (generations/fetch.py); tests and the offline
# demo serve results on http://127.0.0.1, which this alone allows (loopback only, never the LAN).
PROVIDER_FETCH_ALLOW_LOOPBACK = env.bool("PROVIDER_FETCH_ALLOW_LOOPBACK", default=False)

# Circuit breaker: this many temporary failures in a row pause submissions for the cool-down.
BREAKER_FAILURES = env.int("BREAKER_FAILURES", default=5)
BREAKER_COOLDOWN_SECONDS = env.int("BREAKER_COOLDOWN_SECONDS", default=120)
QUEUE_ALERT_MINUTES = env.int("QUEUE_ALERT_MINUTES", default=15)

# --- The offline provider (GENERATION_PROVIDER=local) ---------------------------------------
LOCAL_PROVIDER_DELAY_SECONDS = env.float("LOCAL_PROVIDER_DELAY_SECONDS", default=3.0)
# error class=probability pairs, e.g. "temporary=0.1,user=0.05" — every failure path seen offline.
LOCAL_PROVIDER_FAILURES = {
    name.strip(): float(chance)
    for name, _, chance in (pair.partition("=") for pair in env.list("LOCAL_PROVIDER_FAILURES", default=[]))
    if chance
}
LOCAL_PROVIDER_VIDEO_SECONDS = env.float("LOCAL_PROVIDER_VIDEO_SECONDS", default=4.0)

# --- Prompt writer --------------------------------------------------------------------------
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="https://api.openai.com/v1").rstrip("/")
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")
OPENAI_TIMEOUT_SECONDS = env.float("OPENAI_TIMEOUT_SECONDS", default=30.0)

# --- Payments -------------------------------------------------------------------------------
YOOKASSA_SHOP_ID = env.str("YOOKASSA_SHOP_ID", default="")
YOOKASSA_SECRET_KEY = env.str("YOOKASSA_SECRET_KEY", default="")
YOOKASSA_API_URL = env.str("YOOKASSA_API_URL", default="https://api.yookassa.ru/v3").rstrip("/")
YOOKASSA_RECEIPTS = env.bool("YOOKASSA_RECEIPTS", default=False)
YOOKASSA_VAT_CODE = env.int("YOOKASSA_VAT_CODE", default=1)
YOOKASSA_PAYMENT_MODE = env.str("YOOKASSA_PAYMENT_MODE", default="full_prepayment")
YOOKASSA_PAYMENT_SUBJECT = env.str("YOOKASSA_PAYMENT_SUBJECT", default="service")
PAYMENT_METHODS = env.list("PAYMENT_METHODS", default=["yookassa", "stars"])
YOOKASSA_TIMEOUT_SECONDS = env.float("YOOKASSA_TIMEOUT_SECONDS", default=15.0)
# Where the payer returns after paying; empty = PUBLIC_BASE_URL/billing/return/.
YOOKASSA_RETURN_URL = env.str("YOOKASSA_RETURN_URL", default="")
# YooKassa's published notification senders (its docs); notifications from anywhere else are refused.
# Empty (as .env.example has it) means the published list too: an empty allow-list would refuse every notification.
YOOKASSA_ALLOWED_IPS = env.list("YOOKASSA_ALLOWED_IPS", default=[]) or (
    [
        "185.71.76.0/27",
        "185.71.77.0/27",
        "77.75.153.0/25",
        "77.75.156.11",
        "77.75.156.35",
        "77.75.154.128/25",
        "2a02:5180::/32",
    ]
)

# --- People ---------------------------------------------------------------------------------
SUPPORT_USERNAME = env.str("SUPPORT_USERNAME", default="").lstrip("@")
# The bot's t.me link, for the payment return page (e.g. https://t.me/neurocards_bot).
BOT_URL = env.str("BOT_URL", default="")
ADMIN_CHAT_IDS = env.list("ADMIN_CHAT_IDS", cast=int, default=[])

# --- Mini App (miniapp/, docs/miniapp.md) ----------------------------------------------------
# How old Telegram's signed initData may be for the Mini App's API (auth_date), and for buying: a leaked
# string stops working after this. Telegram signs it when the Mini App is opened.
MINIAPP_MAX_AGE_SECONDS = env.int("MINIAPP_MAX_AGE_SECONDS", default=86400)
MINIAPP_BUY_MAX_AGE_SECONDS = env.int("MINIAPP_BUY_MAX_AGE_SECONDS", default=3600)

# --- Costs and limits -----------------------------------------------------------------------
VIDEO_COST = env.int("VIDEO_COST", default=10)  # a video of the default duration (KIE_VIDEO_SECONDS)
IMAGE_COST = env.int("IMAGE_COST", default=3)
# The price of each duration a seller may choose, "seconds=credits" pairs ("10=10,15=15"); Sora 2 makes
# 10 or 15 s. Unset: 10 and 15 s, the default duration (KIE_VIDEO_SECONDS) at VIDEO_COST and the other
# in proportion. A malformed pair stops the start, and checks.py names a duration the model can't make.
VIDEO_COSTS = {
    int(seconds): int(cost)
    for seconds, _, cost in (pair.partition("=") for pair in env.list("VIDEO_COSTS", default=[]))
} or {seconds: -(-VIDEO_COST * seconds // KIE_VIDEO_SECONDS) for seconds in (10, 15)}
# A new user's first card is free: one card's price, once (0: no welcome credits).
WELCOME_CREDITS = env.int("WELCOME_CREDITS", default=IMAGE_COST)
MAX_ACTIVE_ORDERS = env.int("MAX_ACTIVE_ORDERS", default=2)
# Referrals: the invited user's welcome, the referrer's share (per cent of the credits) of each of the invitee's
# first N paid purchases, and the most a referrer earns in a day (0: no cap).
REFERRAL_WELCOME_CREDITS = env.int("REFERRAL_WELCOME_CREDITS", default=IMAGE_COST)
REFERRAL_REWARD_PERCENT = env.int("REFERRAL_REWARD_PERCENT", default=10)
REFERRAL_REWARDED_PAYMENTS = env.int("REFERRAL_REWARDED_PAYMENTS", default=3)
REFERRAL_DAILY_CAP = env.int("REFERRAL_DAILY_CAP", default=300)
# Wrong promo codes a user may type an hour before the bot stops checking (guessing).
PROMO_TRIES_PER_HOUR = env.int("PROMO_TRIES_PER_HOUR", default=5)
RATE_LIMIT_GENERATIONS_PER_HOUR = env.int("RATE_LIMIT_GENERATIONS_PER_HOUR", default=10)
RATE_LIMIT_TOPUP_PER_HOUR = env.int("RATE_LIMIT_TOPUP_PER_HOUR", default=5)
MAX_QUEUE_SIZE = env.int("MAX_QUEUE_SIZE", default=100)
VIDEO_TIMEOUT_MINUTES = env.int("VIDEO_TIMEOUT_MINUTES", default=30)

# --- Video models (generations/video_models.py, docs/video-models.md) --------------------------
# The video models sellers may choose, in the order shown; the first is the default. Keys: sora2 (Sora 2,
# priced by VIDEO_COSTS), veo3_fast (Veo 3.1 Fast), veo3 (Veo 3.1 Quality). One model on: no choice shown.
VIDEO_MODELS = env.list("VIDEO_MODELS", default=["sora2"])
# The other models' prices, "model:seconds=credits" pairs ("veo3_fast:8=20,veo3:8=80"); unset, Veo 3.1 makes 8 s
# at KIE's price relative to Sora 2 (Fast twice VIDEO_COST, Quality eight times). Pairs for sora2 replace VIDEO_COSTS.
VIDEO_PRICES = {}
for _pair in env.list("VIDEO_PRICES", default=[]):
    _model, _, _price = _pair.partition(":")
    _seconds, _, _credits = _price.partition("=")
    VIDEO_PRICES.setdefault(_model.strip(), {})[int(_seconds)] = int(_credits)
# Deadlines per model, "model=minutes" pairs; unset: Sora 2 VIDEO_TIMEOUT_MINUTES, Veo 3.1 Fast 15, Quality 20.
VIDEO_TIMEOUTS = {
    model.strip(): int(minutes)
    for model, _, minutes in (pair.partition("=") for pair in env.list("VIDEO_TIMEOUTS", default=[]))
    if minutes
}
# When a model is paused (its breaker, its configuration failing, the account out of credits), new orders
# for it are made by the next enabled model that is not paused, at the price the seller confirmed.
VIDEO_FALLBACK = env.bool("VIDEO_FALLBACK", default=False)
# A model whose create call answered a configuration error (401/404/505: the API retired, a feature off)
# rests this long before it is tried again; meanwhile its orders are taken over (VIDEO_FALLBACK) or wait.
MODEL_CONFIG_PAUSE_SECONDS = env.int("MODEL_CONFIG_PAUSE_SECONDS", default=900)
IMAGE_TIMEOUT_MINUTES = env.int("IMAGE_TIMEOUT_MINUTES", default=10)
RESULT_TTL_DAYS = env.int("RESULT_TTL_DAYS", default=30)
REFERENCE_TTL_DAYS = env.int("REFERENCE_TTL_DAYS", default=7)
UPDATE_ID_TTL_DAYS = env.int("UPDATE_ID_TTL_DAYS", default=7)
# Raw provider payloads (YooKassa notification bodies, payments' last API answers, generation events) are
# dropped after this; the payments and their ledger rows stay.
PAYLOAD_TTL_DAYS = env.int("PAYLOAD_TTL_DAYS", default=90)
FLOOD_UPDATES_PER_MINUTE = env.int("FLOOD_UPDATES_PER_MINUTE", default=30)

# --- Operations -----------------------------------------------------------------------------
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# /metrics answers a Bearer METRICS_TOKEN or a caller in METRICS_ALLOWED_IPS; with neither it is off (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])

# --- Alerts (ops/watch.py, run by deploy/neurocards-watch.timer outside the workers) -----------------------
# The workers' heartbeat older than this is an incident: with the timer every minute, operators hear within 3 min.
WORKER_STALE_SECONDS = env.int("WORKER_STALE_SECONDS", default=120)
ALERT_QUEUE_SIZE = env.int("ALERT_QUEUE_SIZE", default=80)  # queued generations
ALERT_STUCK = env.int("ALERT_STUCK", default=5)  # generations past their deadline
ALERT_YOOKASSA_FAILURES = env.int("ALERT_YOOKASSA_FAILURES", default=10)  # failed notifications an hour

# --- Back office ----------------------------------------------------------------------------
# Staff who may move credits must pass a second factor (TOTP, django-otp) before the admin lets them in.
ADMIN_REQUIRE_OTP = env.bool("ADMIN_REQUIRE_OTP", default=not DEBUG)
# A wrong code makes the next try wait this many seconds, doubled with each further wrong code (django-otp).
OTP_TOTP_THROTTLE_FACTOR = env.int("OTP_TOTP_THROTTLE_FACTOR", default=2)
OTP_TOTP_ISSUER = "NeuroCards"
# A Stars invoice not paid within this many hours expires: it is refused at checkout and no longer "pending".
STARS_INVOICE_HOURS = env.int("STARS_INVOICE_HOURS", default=24)

# --- django-q2 ------------------------------------------------------------------------------
Q_CLUSTER = {
    "name": "neurocards",
    "workers": env.int("Q_WORKERS", default=2),
    # A task submits or polls and returns; none waits for a whole generation. The batch poller is
    # the longest (it keeps polling for most of its one-minute period), so 120 s bounds every task.
    "timeout": 120,
    # The ORM broker hands an unacknowledged task out again after `retry` seconds. It must exceed
    # timeout plus the wait in the cluster's own queue, or a running task is started a second time.
    "retry": 300,
    # 0 would retry forever; tasks are idempotent, so a few redeliveries are safe and then we stop.
    "max_attempts": 3,
    # A failed task is recorded and acknowledged: retries are the services' business (backoff,
    # attempts on the row), not the broker's immediate redelivery.
    "ack_failures": True,
    # Few tasks prefetched per cluster: a task waiting in a local queue is a task another machine
    # could run, and its wait counts against `retry`.
    "queue_limit": 4,
    # After downtime, run each schedule once rather than a burst of missed runs.
    "catch_up": False,
    "save_limit": 1000,
    "label": "Tasks",
    # Inline execution for tests (set by the test configuration).
    "sync": env.bool("Q_SYNC", default=False),
}
if REDIS_URL:
    # With socket timeouts (unless the URL names its own): a web request that enqueues a task must fail, not
    # hang, while Redis stalls. The cluster's BLPOP waits 1 s, well under the read timeout.
    _timeouts = "&".join(
        f"{name}=5" for name in ("socket_connect_timeout", "socket_timeout") if f"{name}=" not in REDIS_URL
    )
    Q_CLUSTER["redis"] = f"{REDIS_URL}{'&' if '?' in REDIS_URL else '?'}{_timeouts}" if _timeouts else REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Logging --------------------------------------------------------------------------------
# One line per event naming ids, never texts, prompts, emails or secrets; plain, or JSON for a collector.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "neurocards.lib.logs.RedactSecrets"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "neurocards.lib.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # The YooKassa SDK logs the Authorization header at DEBUG; httpx and httpcore log full URLs, and
        # the Bot API's carry the token. Kept at WARNING whatever LOG_LEVEL says.
        "yookassa": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # python-telegram-bot logs every Bot API call's parameters and answer at DEBUG: users' messages.
        "telegram": {"level": "INFO"},
        # With DEBUG on, Django logs each SQL statement with its parameters at DEBUG: users' texts, emails.
        "django.db.backends": {"level": "INFO"},
        # django-axes says "BEGIN" at INFO in every process; lockouts and repeated failures come at WARNING.
        "axes": {"level": "WARNING"},
        # uvicorn's error log (a crashed request's traceback among them) through the same handler: the same
        # format, the same redaction; its level stays the one on its command line. Not "uvicorn" itself:
        # that would reset its access logger too and switch the access log back on (off in deploy/).
        "uvicorn.error": {"handlers": ["console"], "propagate": False},
    },
}
