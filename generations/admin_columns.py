"""What the generations admin shows beyond the row's own fields: ages, deadlines, delivery, the refund, the
attempt history, in the staff's language and time zone."""

from django.contrib import admin
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from generations import video_models
from generations.models import Generation, GenerationEvent
from neurocards.lib.admin_actions import ReadOnlyInline

Status = Generation.Status
WARNING = '<strong class="{}" style="color: #ba2121">{}</strong>'

# The attempt history's event kinds (pipeline, inputs, services, support_notify) in words.
EVENTS = {
    "prompt": _("prompt written"),
    "submit": _("submitted"),
    "task": _("provider task"),
    "error": _("error"),
    "failed": _("failed"),
    "completed": _("result stored"),
    "refunded": _("refunded by support"),
    "cancelled": _("cancelled by support"),
    "resent": _("result sent again"),
    "resend failed": _("result not sent again"),
}


def local(value):
    """A time as staff read it: in TIME_ZONE (the admin's readonly fields do this themselves)."""
    return date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else "—"


def age(since, now):
    """ "12 мин", "3 ч", "2 дн": how long ago, short, in the staff's language."""
    minutes = max(int((now - since).total_seconds() // 60), 0)
    if minutes < 60:
        return gettext("%(n)s min") % {"n": minutes}
    if minutes < 48 * 60:
        return gettext("%(n)s h") % {"n": minutes // 60}
    return gettext("%(n)s d") % {"n": minutes // (24 * 60)}


def deadline(generation, now):
    """The deadline, marked when it passed and the generation is still in the works."""
    if not generation.timeout_at:
        return "—"
    shown = local(generation.timeout_at)
    if generation.is_active and generation.timeout_at < now:
        return format_html(WARNING, "overdue", f"{shown} ⚠")
    return shown


def delivery(generation):
    """Whether the seller has the result: when it went, or why not yet (generations/delivery.py's states)."""
    if generation.result_sent_at:
        return gettext("delivered %(at)s") % {"at": local(generation.result_sent_at)}
    if generation.status != Status.COMPLETED:
        return "—"
    if generation.next_delivery_at is None and generation.delivery_attempts:
        if generation.user.bot_blocked_at:
            return format_html(WARNING, "undelivered", gettext("not delivered: the bot is blocked"))
        tries = gettext("not delivered after %(n)s tries") % {"n": generation.delivery_attempts}
        return format_html(WARNING, "undelivered", tries)
    if generation.delivery_attempts:
        return gettext("pending, next try %(at)s") % {"at": local(generation.next_delivery_at)}
    return gettext("pending")


def refund(row):
    """A generation's refund ledger row (or None) in words: how much, when, by whom, why."""
    if row is None:
        return gettext("none")
    who = gettext("by %(who)s") % {"who": row.actor.get_username()} if row.actor else gettext("automatically")
    text = gettext("%(credits)s credits, %(at)s, %(who)s") % {
        "credits": row.amount,
        "at": local(row.created_at),
        "who": who,
    }
    if row.reason:
        text += gettext(". Reason: %(reason)s") % {"reason": row.reason}
    return text


def model_label(key):
    """A model's name as staff read it: the video model's own name, the cards' model said so."""
    if key == video_models.IMAGE_MODEL:
        return gettext("cards (%(model)s)") % {"model": key}
    return video_models.label(key)


def model(generation):
    """The model that made it, and the one the seller chose when another took the order over."""
    made = model_label(generation.model)
    if generation.ordered_model and generation.ordered_model != generation.model:
        return gettext("%(model)s (instead of %(ordered)s)") % {
            "model": made,
            "ordered": model_label(generation.ordered_model),
        }
    return made


def taken_over(queryset):
    """Generations another model made than the one the seller chose (VIDEO_FALLBACK's take-overs)."""
    return queryset.exclude(ordered_model="").exclude(model=F("ordered_model"))


class ModelFilter(admin.SimpleListFilter):
    """By the model that made the generation: every model of the catalog (a model turned off still has rows)."""

    title = _("model")
    parameter_name = "model"

    def lookups(self, request, model_admin):
        keys = [*video_models.CATALOG, video_models.IMAGE_MODEL]
        return [(key, model_label(key)) for key in keys]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(model=self.value())
        return queryset


class TakenOverFilter(admin.SimpleListFilter):
    title = _("take-over")
    parameter_name = "taken_over"

    def lookups(self, request, model_admin):
        return [("1", _("made by another model than the one ordered"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return taken_over(queryset)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    """Active generations past their deadline: the watchdog should have failed them (the dashboard links here)."""

    title = _("deadline")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("1", _("active and past the deadline"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(status__in=Generation.ACTIVE, timeout_at__lt=timezone.now())
        return queryset


class EventInline(ReadOnlyInline):
    model = GenerationEvent
    verbose_name = _("attempt")
    verbose_name_plural = _("attempt history")
    show_change_link = False
    fields = readonly_fields = ["at", "event", "detail"]

    def has_view_permission(self, request, obj=None):
        # The attempts are part of the generation: whoever may see it sees them.
        return request.user.has_perm("generations.view_generation")

    @admin.display(description=_("event"))
    def event(self, row):
        return EVENTS.get(row.kind, row.kind)
