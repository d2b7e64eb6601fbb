"""The video models a seller may choose: what each makes, what it costs, how long it may take.

A model's key is stored on every video generation (`Generation.model`, the one that made it, and
`Generation.ordered_model`, the one the seller chose); the provider maps a key to its own adapter
(generations/providers/kie.py). Which models are on, their prices and deadlines are the operator's
(settings VIDEO_MODELS, VIDEO_COSTS, VIDEO_PRICES, VIDEO_TIMEOUTS; docs/video-models.md).
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

IMAGE_MODEL = "nano-banana"  # Generation.model of every card: one image model


@dataclass(frozen=True)
class VideoModel:
    key: str
    label: str  # the model's own name, not translated
    strength: str  # what it is good at, one short line for the seller (lazy)
    makes: tuple  # the durations (s) the model can make
    default_seconds: int
    default_timeout: int  # minutes, when VIDEO_TIMEOUTS does not say (0: VIDEO_TIMEOUT_MINUTES)

    @property
    def prices(self):
        """{seconds: credits} of the durations a seller may order, shortest first."""
        if self.key == "sora2" and self.key not in settings.VIDEO_PRICES:
            prices = settings.VIDEO_COSTS
        else:
            prices = settings.VIDEO_PRICES.get(self.key) or {self.default_seconds: _default_price(self.key)}
        return dict(sorted(prices.items()))

    @property
    def durations(self):
        return list(self.prices)

    @property
    def seconds(self):
        """The duration made when the order names none: the default one if priced, else the shortest priced."""
        prices = self.prices
        default = settings.KIE_VIDEO_SECONDS if self.key == "sora2" else self.default_seconds
        return default if default in prices else next(iter(prices))

    def price(self, seconds=None):
        prices = self.prices
        return prices.get(seconds or self.seconds, prices[self.seconds])

    @property
    def cheapest(self):
        return min(self.prices.values())

    @property
    def timeout_minutes(self):
        return settings.VIDEO_TIMEOUTS.get(self.key) or self.default_timeout or settings.VIDEO_TIMEOUT_MINUTES

    def nearest_seconds(self, seconds):
        """The priced duration closest to `seconds` (a take-over makes what this model makes)."""
        return min(self.durations, key=lambda made: (abs(made - (seconds or 0)), made))

    def __str__(self):
        return self.label


def _default_price(key):
    # KIE's own prices relative to Sora 2 image-to-video: Veo 3.1 Fast about twice, Quality about eight times.
    return {"veo3_fast": 2, "veo3": 8}.get(key, 1) * settings.VIDEO_COST


CATALOG = {
    model.key: model
    for model in (
        VideoModel(
            "sora2",
            "Sora 2",
            _("lively scenes and people, 10 or 15 s"),
            makes=(10, 15),
            default_seconds=10,
            default_timeout=0,
        ),
        VideoModel(
            "veo3_fast",
            "Veo 3.1 Fast",
            _("sharp product close-ups with sound, 8 s, quick"),
            makes=(8,),
            default_seconds=8,
            default_timeout=15,
        ),
        VideoModel(
            "veo3",
            "Veo 3.1 Quality",
            _("the most detailed picture with sound, 8 s"),
            makes=(8,),
            default_seconds=8,
            default_timeout=20,
        ),
    )
}


def enabled():
    """The models on, in the operator's order (VIDEO_MODELS); unknown keys are left out (checks.py names them)."""
    return [CATALOG[key] for key in dict.fromkeys(settings.VIDEO_MODELS) if key in CATALOG] or [CATALOG["sora2"]]


def default():
    return enabled()[0]


def chosen(key):
    """The enabled model called `key`, else the default one (a blank key, or one the operator turned off)."""
    return next((model for model in enabled() if model.key == key), default())


def get(key):
    """Any model of the catalog by key (a generation's, even when turned off since), or None."""
    return CATALOG.get(key or "")


def label(key):
    model = get(key)
    return model.label if model else (key or "—")


def choosing():
    """True when the seller has a choice: more than one model is on."""
    return len(enabled()) > 1
