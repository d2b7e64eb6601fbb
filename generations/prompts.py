"""The prompt writer: an OpenAI chat model writes the prompt from the template's instructions.

Instructions and fallback prompts are Django templates under templates/prompts/ (`<kind>_<template>.txt`
and `<kind>_<template>_prompt.txt`), so they change without code. With no OPENAI_API_KEY, or OpenAI
failing after its retries, the fallback template renders a deterministic prompt and the generation
goes on. "My own prompt" is used as the seller wrote it.
"""

import functools
import logging
import time

import httpx
from django.conf import settings
from django.template import Context
from django.template.loader import get_template

from generations import formats

log = logging.getLogger(__name__)

RETRIES = 2  # as the official client: two more tries on 408/409/429/5xx and connection errors
RETRYABLE = {408, 409, 429, 500, 502, 503, 504}
MAX_BACKOFF = 8.0


class PromptWriterDown(Exception):
    """OpenAI can't write prompts until someone acts (billing, key, region): operators must know."""


def write_prompt(generation, *, max_length):
    """(prompt, source) with source "own", "openai" or "template"; raises nothing for OpenAI's failures."""
    if generation.template == "own":
        return generation.wishes[:max_length], "own"
    context = _context(generation)
    name = f"prompts/{generation.kind}_{generation.template}"
    if settings.OPENAI_API_KEY:
        try:
            written = _ask_openai(_render(f"{name}.txt", context), _user_message(generation))
            if written:
                return written[:max_length], "openai"
        except PromptWriterDown:
            raise
        except Exception as error:  # noqa: BLE001  (any failure of the writer falls back to the template)
            log.warning(
                "generation %s: prompt writer failed (%s), template prompt used", generation.pk, type(error).__name__
            )
    return _render(f"{name}_prompt.txt", context)[:max_length], "template"


def fallback_prompt(generation, *, max_length):
    """The template's own prompt, for when the writer is down."""
    return _render(f"prompts/{generation.kind}_{generation.template}_prompt.txt", _context(generation))[:max_length]


def _context(generation):
    card = formats.card_format(generation.card_format)
    width, height = card.size
    return {
        "description": generation.description,
        "wishes": generation.wishes,
        # A video's own duration (10 or 15 s, as ordered); rows made before durations have none: the default.
        "seconds": generation.seconds or formats.default_video_seconds(),
        # An image's frame as the model is asked for it (formats.CardFormat.aspect), e.g. "vertical 3:4".
        "frame": f"{'square' if width == height else 'vertical' if height > width else 'horizontal'} {card.aspect}",
    }


def _render(name, context):
    # Plain text: no HTML escaping of what the seller wrote.
    return get_template(name).template.render(Context(context, autoescape=False)).strip()


def _user_message(generation):
    text = f"Product: {generation.description}"
    if generation.wishes:
        text += f"\nSeller's wishes: {generation.wishes}"
    return text


@functools.cache
def _client():
    return httpx.Client(timeout=httpx.Timeout(settings.OPENAI_TIMEOUT_SECONDS, connect=5))


def _ask_openai(instructions, message):
    body = {
        "model": settings.OPENAI_MODEL,
        "messages": [{"role": "system", "content": instructions}, {"role": "user", "content": message}],
        "max_completion_tokens": 800,
    }
    headers = {"Authorization": f"Bearer {settings.OPENAI_API_KEY}"}
    for attempt in range(RETRIES + 1):
        try:
            response = _client().post(f"{settings.OPENAI_BASE_URL}/chat/completions", json=body, headers=headers)
        except httpx.HTTPError:
            if attempt == RETRIES:
                raise
            time.sleep(_backoff(attempt))
            continue
        if response.status_code == 200:
            return response.json()["choices"][0]["message"]["content"].strip()
        error = _error(response)
        if (response.status_code == 429 and error.get("type") == "insufficient_quota") or error.get("code") in (
            "insufficient_quota",
            "credit_balance_exhausted",
        ):
            raise PromptWriterDown(f"OpenAI quota exhausted: {error.get('code') or error.get('type')}")
        if response.status_code in (401, 403):
            raise PromptWriterDown(f"OpenAI refused the key or region ({response.status_code})")
        if response.status_code not in RETRYABLE or attempt == RETRIES:
            raise RuntimeError(f"OpenAI answered {response.status_code}")
        time.sleep(_retry_after(response) or _backoff(attempt))
    return ""


def _error(response):
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


def _backoff(attempt):
    return min(0.5 * 2**attempt, MAX_BACKOFF)


def _retry_after(response):
    try:
        if "retry-after-ms" in response.headers:
            return min(float(response.headers["retry-after-ms"]) / 1000, MAX_BACKOFF)
        return min(float(response.headers.get("retry-after", "")), MAX_BACKOFF)
    except ValueError:
        return None
