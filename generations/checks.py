"""System checks of the video models' settings (generations.video_models): a key that names no model, a
duration a model can't make, a price under 1 credit, a fallback with nothing to fall back to."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from generations import callbacks
from generations.video_models import CATALOG


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


def _id(level, number):
    return f"neurocards.{'E' if level is Error else 'W'}{number:03d}"


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
