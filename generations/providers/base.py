"""What every generation provider offers, and how its failures are classified."""

import re
from dataclasses import dataclass, field

# Error classes, each handled its own way by the pipeline (see generations/pipeline.py).
USER = "user"  # the request breaks the provider's rules: fail, refund, tell the user why
TEMPORARY = "temporary"  # 5xx, maintenance, network, timeouts: retry with backoff
RATE_LIMIT = "rate_limit"  # back off and rotate keys, without burning attempts
BILLING = "billing"  # the provider account is out of credits: fail, refund, alert operators
CONFIGURATION = "configuration"  # a bad key, a disabled feature: fail, refund, alert operators

# "unsafe": Veo's "Public error: unsafe image upload" (docs/veo.md).
POLICY_WORDS = re.compile(r"prohibit|policy|safety|unsafe|flagged|moderation|sensitive|violat|inappropriate", re.I)


class ProviderError(Exception):
    def __init__(self, error_class, message, *, code=None, malformed=False):
        super().__init__(message)
        self.error_class, self.code = error_class, code
        # The provider answered, but with something we can't read: unlike an outage it won't pass by waiting.
        self.malformed = malformed


def malformed(what):
    """An answer we can't make sense of: one generation's temporary trouble, never a crash of the caller."""
    return ProviderError(TEMPORARY, f"malformed answer: {what}"[:500], malformed=True)


@dataclass(frozen=True)
class TaskState:
    state: str  # "pending" | "success" | "fail"
    result_urls: list = field(default_factory=list)
    fail_code: str = ""
    fail_message: str = ""


def classify_code(code, message=""):
    """KIE-style body codes (also HTTP statuses) to an error class (docs/veo.md has the table)."""
    if code == 429:
        return RATE_LIMIT
    if code == 402:
        return BILLING
    if code in (401, 403, 404, 505):
        return CONFIGURATION
    # 451 (Veo; "unavailable for legal reasons"): the content is refused, asking again won't change it.
    if code in (422, 451) or (code == 400 and POLICY_WORDS.search(message or "")):
        return USER
    if code == 400:
        return CONFIGURATION
    return TEMPORARY  # 455 maintenance, 5xx (501 generation failed), anything unknown: it may pass


def classify_failure(fail_code, fail_message):
    """A task the provider itself failed: policy words mean the user's content, anything else may pass."""
    if POLICY_WORDS.search(fail_message or ""):
        return USER
    if str(fail_code) in ("422", "451"):
        return USER
    return TEMPORARY


class Provider:
    """A narrow interface: another model or vendor is a new class, not a rewrite of the pipeline."""

    name = "?"

    def upload_reference(self, *, content, filename):
        """Make the product photo reachable by the provider; returns the URL (or handle) to pass on."""
        raise NotImplementedError

    def create_task(self, *, kind, prompt, image_url, callback_url, title="", aspect=None, seconds=None, model=None):
        """Start a generation; returns the provider's task id. `title` is the product, for providers that draw it;
        `aspect` an image's ratio ("3:4", "1:1", "9:16"; generations.formats), `seconds` a video's duration
        (None: the default ones), `model` the video model's key (generations.video_models; None: the default)."""
        raise NotImplementedError

    def get_task(self, task_id, *, key=None, model=None):
        """The task's current TaskState. `key` lets the poller choose which API key to spend; `model` is the one
        the task was created with (a model may have its own API)."""
        raise NotImplementedError

    def download(self, url, *, kind):
        """The bytes of a result of this kind ("video" or "image"); a size cap per kind applies."""
        raise NotImplementedError

    def max_prompt_length(self, kind, model=None):
        return 5000

    @property
    def poll_keys(self):
        """The API keys the poller may spread reads over, each with its own rate limit."""
        return [None]
