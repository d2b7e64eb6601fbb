from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from botapp.models import Broadcast, Example, FlowState, ProcessedUpdate
from generations import media

MB = 1024 * 1024
# What the Bot API takes in sendPhoto and in an uploaded sendVideo.
EXAMPLE_LIMITS = {Example.Kind.IMAGE: 10 * MB, Example.Kind.VIDEO: 50 * MB}


@admin.register(ProcessedUpdate)
class ProcessedUpdateAdmin(admin.ModelAdmin):
    list_display = ["update_id", "received_at"]
    search_fields = ["=update_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FlowState)
class FlowStateAdmin(admin.ModelAdmin):
    list_display = ["user", "step_name", "updated_at"]
    search_fields = ["=user__telegram_id"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]

    @admin.display(description=_("step"), ordering="step")
    def step_name(self, state):
        return state.step_name


@admin.register(Broadcast)
class BroadcastAdmin(admin.ModelAdmin):
    """Broadcasts are sent by `manage.py broadcast`; here they are only read."""

    list_display = ["created_at", "sent", "failed", "skipped", "last_user_id", "finished_at"]
    readonly_fields = [field.name for field in Broadcast._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ExampleForm(forms.ModelForm):
    class Meta:
        model = Example
        fields = ["kind", "file", "caption", "caption_en", "position", "is_published"]
        # No "currently: <link>": the storage serves nobody, the preview below shows the file.
        widgets = {"file": forms.FileInput}

    def clean(self):
        data = super().clean()
        kind, file = data.get("kind"), data.get("file")
        if kind and file and {"kind", "file"} & set(self.changed_data):
            self._check(kind, file)
        return data

    def _check(self, kind, file):
        if file.size > EXAMPLE_LIMITS[kind]:
            raise forms.ValidationError(
                {"file": _("Telegram takes at most %(mb)s MB here.") % {"mb": EXAMPLE_LIMITS[kind] // MB}}
            )
        file.seek(0)
        content = file.read()
        file.seek(0)
        try:
            if kind == Example.Kind.VIDEO:
                media.probe_video(content)
            elif media.probe_image(content)[0] not in ("JPEG", "PNG"):
                raise forms.ValidationError({"file": _("An image card must be a JPEG or PNG.")})
        except media.MediaError:
            if kind == Example.Kind.VIDEO:
                refused = _("This is not a readable video: an MP4 is needed.")
            else:
                refused = _("This is not a readable image: a JPEG or PNG is needed.")
            raise forms.ValidationError({"file": refused}) from None


@admin.register(Example)
class ExampleAdmin(admin.ModelAdmin):
    """What sellers see under «Examples»: the published ones, lowest position first, five at most."""

    form = ExampleForm
    list_display = ["__str__", "kind", "position", "is_published", "thumbnail", "created_at"]
    list_editable = ["position", "is_published"]
    list_filter = ["is_published", "kind"]
    fields = ["kind", "file", "preview", "caption", "caption_en", "position", "is_published", "created_at"]
    readonly_fields = ["preview", "created_at"]

    @admin.display(description=_("file"))
    def preview(self, example):
        if not example.pk or not example.file:
            return "—"
        url = reverse("example-file", args=[example.pk])
        if example.kind == Example.Kind.VIDEO:
            return format_html('<video src="{}" controls preload="metadata" style="max-height: 360px"></video>', url)
        return format_html('<a href="{0}"><img src="{0}" alt="{1}" style="max-height: 360px"></a>', url, _("example"))

    @admin.display(description=_("preview"))
    def thumbnail(self, example):
        if example.kind == Example.Kind.VIDEO or not example.file:
            return "—"
        url = reverse("example-file", args=[example.pk])
        return format_html('<img src="{0}" alt="{1}" loading="lazy" style="max-height: 80px">', url, _("example"))
