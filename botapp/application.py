"""The python-telegram-bot Application: built without an updater, initialised once per process."""

import asyncio
import os
import weakref

from django.conf import settings
from telegram.ext import ApplicationBuilder

from botapp import handlers

# Opt in to RetryAfter.retry_after as a timedelta now (PTB 22 warns on every int read otherwise).
os.environ.setdefault("PTB_TIMEDELTA", "true")

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member", "pre_checkout_query"]

# One Application per event loop: a Bot's HTTP client belongs to the loop it was made in. Under
# uvicorn that is one per worker process, made on its first update.
_applications = weakref.WeakKeyDictionary()


def build(*, polling=False):
    base = settings.TELEGRAM_API_BASE_URL
    builder = (
        ApplicationBuilder()
        .token(settings.TELEGRAM_BOT_TOKEN)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        # Concurrent updates of different users share this client: size the pool for them.
        .connection_pool_size(64)
        .pool_timeout(10)
        .connect_timeout(5)
        .read_timeout(15)
        .write_timeout(30)
    )
    if not polling:
        builder = builder.updater(None)
    application = builder.build()
    handlers.register(application)
    return application


async def get_application():
    loop = asyncio.get_running_loop()
    starting = _applications.get(loop)
    if starting is None:
        # A task, so that concurrent first updates wait for one initialisation instead of racing.
        starting = _applications[loop] = loop.create_task(_start())
    try:
        return await asyncio.shield(starting)
    except Exception:
        if _applications.get(loop) is starting:
            del _applications[loop]
        raise


async def _start():
    application = build()
    await application.initialize()
    return application
