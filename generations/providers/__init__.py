import functools

from django.conf import settings


@functools.cache
def get_provider(name=None):
    """The provider chosen by GENERATION_PROVIDER, one instance (and one HTTP pool) per process."""
    name = name or settings.GENERATION_PROVIDER
    # Imported on first use, not to dodge a cycle: a process loads only its provider (the local one pulls in
    # PyAV and its bundled FFmpeg, which no KIE deployment needs in memory).
    if name == "kie":
        from generations.providers.kie import KieProvider

        return KieProvider()
    if name == "local":
        from generations.providers.local import LocalProvider

        return LocalProvider()
    raise ValueError(f"unknown GENERATION_PROVIDER {name!r}")
