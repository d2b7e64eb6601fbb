"""The Mini App's JSON API (/miniapp/api/): a seller's gallery, orders, credit history and purchases.

Every view but the thumbnails takes its user from the signed initData only (miniapp.auth) and sees only that
user's rows: another's id finds nothing, which is 404, as an unknown one. State changes go through the
domain's named functions: generations.services (cancel, refunded once), generations.support_notify (a
result sent again once per Idempotency-Key), the bot's own step (make another), billing.services (a purchase,
credited once by the bot's successful_payment or YooKassa's notification). Texts come in the caller's
language. Contract: docs/miniapp.md.
"""

import hashlib
import logging
import re
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django_q.tasks import async_task

from accounts.models import TelegramUser
from billing import services as billing
from billing.models import CreditPack, CreditTransaction, Payment
from botapp import flow, payment_texts
from generations import services, storage, support_notify, video_models
from generations.media_views import serve_private
from generations.models import Generation
from messaging import sender, texts
from miniapp import chat, thumbs, words
from miniapp.auth import api_view, error
from neurocards.lib.jsonbody import parse_json

log = logging.getLogger(__name__)

GALLERY_PAGE = 30
HISTORY_PAGE = 30
MAX_PAGE = 10_000
RECENTLY_FINISHED = timedelta(minutes=10)
MAX_BODY = 4096
METHODS = ("yookassa", "stars")
_PAGE = re.compile(r"[0-9]{1,5}")


def ok(body, status=200):
    return JsonResponse(body, status=status)


def not_found():
    return error(404, "not_found")


def bad_request():
    return error(400, "bad_request")


def conflict(code, message):
    return error(409, code, strip_tags(str(message)))


class BadRequest(Exception):
    pass


def _page(request):
    value = request.GET.get("page", "1")
    if not _PAGE.fullmatch(value) or not 1 <= int(value) <= MAX_PAGE:
        raise BadRequest
    return int(value)


def _own_generation(user, pk):
    generation = Generation.objects.select_related("user").filter(pk=int(pk), user=user).first()
    if generation is None:
        raise Http404
    return generation


def _json_views(view):
    """Junk in a query or a body is 400 and ids not the user's 404, both as JSON."""

    def wrapper(request, user, *args, **kwargs):
        try:
            return view(request, user, *args, **kwargs)
        except BadRequest:
            return bad_request()
        except Http404:
            return not_found()

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


# --- Who, what they have, what they can buy ----------------------------------------------------------


@api_view("GET")
@_json_views
def me(request, user):
    methods = [method for method in settings.PAYMENT_METHODS if method in METHODS]
    packs = [
        {
            "id": pack.pk,
            "name": pack.name,
            "credits": pack.credits,
            "price_rub": f"{pack.price_rub:.2f}" if "yookassa" in methods else None,
            "price_stars": pack.price_stars if "stars" in methods else None,
        }
        for pack in CreditPack.objects.filter(is_active=True)
    ]
    return ok(
        {
            "user": {"first_name": user.first_name, "language": translation.get_language()},
            "balance": user.balance,
            "packs": packs,
            "methods": methods,
            "bot_url": settings.BOT_URL,
        }
    )


@api_view("GET")
@_json_views
def gallery(request, user):
    """Completed results still stored, newest first, grouped by product (the photo, else the description)."""
    page = _page(request)
    start = (page - 1) * GALLERY_PAGE
    rows = list(
        Generation.objects.filter(user=user, status=Generation.Status.COMPLETED)
        .exclude(result_file="")
        .order_by("-created_at", "-pk")[start : start + GALLERY_PAGE + 1]
    )
    more = len(rows) > GALLERY_PAGE
    groups = {}
    for generation in rows[:GALLERY_PAGE]:
        key = _product_key(generation)
        # Groups in the order of their newest item: a dict keeps the order of first sight.
        group = groups.setdefault(key, {"key": key, "title": texts.product(generation), "items": []})
        group["items"].append(_gallery_item(generation))
    return ok({"products": list(groups.values()), "next_page": page + 1 if more else None})


def _product_key(generation):
    # "Make another" reuses the photo's file id and the description; an order's generations share both.
    basis = generation.reference_file_id or generation.reference_image.name or f"text:{generation.description}"
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


def _gallery_item(generation):
    model = video_models.get(generation.model) if generation.kind == Generation.Kind.VIDEO else None
    return {
        "id": generation.pk,
        "kind": generation.kind,
        "template": texts.template_name(generation.template, generation.kind),
        "created_at": generation.created_at.isoformat(),
        "thumb_url": thumbs.link(generation),
        "download_url": storage.result_link(generation),
        "model": model.label if model else None,
    }


def thumb(request, token):
    """A gallery thumbnail by its signed link (an <img> carries no header: the link is the permission)."""
    if request.method not in ("GET", "HEAD"):
        return error(405, "method_not_allowed")
    generation = thumbs.generation_for(token)
    name = thumbs.stored_thumb(generation) if generation is not None else None
    if name is None:
        return not_found()
    try:
        return serve_private(name)
    except Http404:
        return not_found()


# --- Orders in progress -------------------------------------------------------------------------------


@api_view("GET")
@_json_views
def orders(request, user):
    """Active generations and those finished in the last minutes, so the page sees each change."""
    since = timezone.now() - RECENTLY_FINISHED
    rows = Generation.objects.filter(user=user).filter(Q(status__in=Generation.ACTIVE) | Q(finished_at__gte=since))
    return ok({"orders": [_order(generation) for generation in rows.order_by("-created_at", "-pk")[:50]]})


def _order(generation):
    return {
        "id": generation.pk,
        "order_id": str(generation.order_id),
        "kind": generation.kind,
        "template": texts.template_name(generation.template, generation.kind),
        "status": generation.status,
        "status_text": words.status(generation),
        "queue_position": _queue_position(generation),
        "created_at": generation.created_at.isoformat(),
        "can_cancel": generation.is_active,
    }


def _queue_position(generation):
    # As the bot counts it at confirmation (generations.services): the queued ones up to this one.
    if generation.status != Generation.Status.QUEUED:
        return None
    return Generation.objects.filter(status=Generation.Status.QUEUED, pk__lte=generation.pk).count()


@api_view("POST")
@_json_views
def cancel(request, user, pk):
    generation = _own_generation(user, pk)
    if not services.cancel_generation(generation=generation, reason="cancelled by the user in the Mini App"):
        return conflict("not_cancellable", words.not_cancellable())
    user.refresh_from_db(fields=["balance"])
    log.info("generation %s: cancelled from the Mini App", generation.pk)
    return ok({"ok": True, "refunded": generation.cost, "balance": user.balance})


# --- A result again, another with the same product ----------------------------------------------------

IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,200}")


@api_view("POST")
@_json_views
def send(request, user, pk):
    """The result to the chat again (its file, caption and buttons), once per Idempotency-Key."""
    generation = _own_generation(user, pk)
    value = request.headers.get("Idempotency-Key", "")
    if not IDEMPOTENCY_KEY.fullmatch(value):
        raise BadRequest
    if generation.status != Generation.Status.COMPLETED:
        return conflict("not_completed", words.not_ready())
    name = generation.result_file.name
    if not name or not default_storage.exists(name):
        return conflict("result_gone", words.result_gone())
    if generation.user.bot_blocked_at:
        return conflict("bot_blocked", words.bot_blocked())
    # The key is the user's, scoped to this generation by resend_result; hashed to fit the event's key column.
    key = f"miniapp:{hashlib.sha256(value.encode()).hexdigest()[:40]}"
    try:
        sent = support_notify.resend_result(generation.pk, key=key, actor=None)
    except support_notify.NotResent:
        return conflict("not_sent", words.not_sent())
    log.info("generation %s: resend from the Mini App %s", generation.pk, "sent" if sent else "already sent")
    return ok({"ok": True})


@api_view("POST")
@_json_views
def again(request, user, pk):
    """ "Make another with this product": the chat asks for the template, as its after-result button does."""
    generation = _own_generation(user, pk)
    try:
        chat.run_step(user, flow.again, generation)
    except sender.SendFailed:
        return conflict("not_sent", words.not_sent())
    return ok({"ok": True})


# --- Credits ----------------------------------------------------------------------------------------------


@api_view("GET")
@_json_views
def history(request, user):
    page = _page(request)
    start = (page - 1) * HISTORY_PAGE
    rows = list(
        CreditTransaction.objects.filter(user=user)
        .select_related("generation")
        .order_by("-created_at", "-pk")[start : start + HISTORY_PAGE + 1]
    )
    return ok(
        {
            "rows": [
                {"at": row.created_at.isoformat(), "amount": row.amount, "text": words.history(row), "kind": row.kind}
                for row in rows[:HISTORY_PAGE]
            ],
            "next_page": page + 1 if len(rows) > HISTORY_PAGE else None,
        }
    )


@api_view("POST", max_age_setting="MINIAPP_BUY_MAX_AGE_SECONDS")
@_json_views
def buy(request, user):
    """A purchase as the bot's /buy starts it: our Payment first; Stars → an invoice link for openInvoice
    (payload: the payment's id, so the bot's pre_checkout and successful_payment take it as the chat's);
    YooKassa → the chat's worker task creates the payment, and the page polls for its link."""
    pack_id, method = _purchase_request(request)
    pack = CreditPack.objects.filter(pk=pack_id).first()
    if pack is None:
        raise Http404
    if method == "yookassa" and settings.YOOKASSA_RECEIPTS and not user.email:
        return conflict("email_required", words.email_required())
    try:
        with transaction.atomic():
            # The user's lock, as the bot's step holds it: the hourly limit counts under it.
            locked = TelegramUser.objects.select_for_update().get(pk=user.pk)
            payment = billing.start_purchase(user=locked, pack=pack, method=method)
            if method == "yookassa":
                transaction.on_commit(
                    lambda: async_task("botapp.tasks.checkout", payment.pk, task_name=f"checkout-{payment.pk}")
                )
    except billing.PurchaseRefused as refusal:
        if refusal.reason == "hourly":
            return conflict("hourly_limit", payment_texts.topup_limit(refusal.numbers["limit"]))
        if refusal.reason == "inactive":
            return conflict("pack_gone", words.pack_gone())
        return conflict("payment_unavailable", words.payment_unavailable())
    if method == "yookassa":
        return ok({"method": "yookassa", "payment_id": str(payment.pk), "confirmation_url": None})
    try:
        link = sender.create_invoice_link(
            title=payment_texts.invoice_title(pack),
            description=payment_texts.invoice_description(pack),
            payload=str(payment.pk),
            label=pack.name,
            amount=pack.price_stars,
        )
    except sender.SendFailed as failure:
        log.error("payment %s: no Stars invoice link: %s", payment.pk, failure)
        billing.cancel(payment=payment, reason="not created")
        return conflict("payment_unavailable", words.payment_unavailable())
    log.info("payment %s: Stars invoice link made for the Mini App", payment.pk)
    return ok({"method": "stars", "payment_id": str(payment.pk), "invoice_link": link})


def _purchase_request(request):
    try:
        body = parse_json(request.body, max_bytes=MAX_BODY)
    except ValueError:
        raise BadRequest from None
    if not isinstance(body, dict):
        raise BadRequest
    pack_id, method = body.get("pack"), body.get("method")
    if type(pack_id) is not int or not 0 < pack_id < 2**31 or method not in METHODS:
        raise BadRequest
    if method not in settings.PAYMENT_METHODS:
        raise BadRequest
    return pack_id, method


@api_view("GET")
@_json_views
def payment(request, user, payment_id):
    try:
        key = uuid.UUID(payment_id)
    except ValueError:
        raise Http404 from None
    found = Payment.objects.filter(pk=key, user=user).first()
    if found is None:
        raise Http404
    link = found.confirmation_url if found.status == Payment.Status.PENDING else ""
    return ok({"status": found.status, "confirmation_url": link or None, "credits": found.credits})


def unknown(request, path=""):
    return not_found()
