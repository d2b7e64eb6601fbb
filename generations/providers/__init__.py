import functools

from django.conf import settings

from generations.providers.kie import KieProvider
from generations.providers.local import LocalProvider

PROVIDERS = {"kie": KieProvider, "local": LocalProvider}


@functools.cache
def get_provider(name=None):
    """The provider chosen by GENERATION_PROVIDER, one instance (and one HTTP pool) per process."""
    name = name or settings.GENERATION_PROVIDER
    if name not in PROVIDERS:
        raise ValueError(f"unknown GENERATION_PROVIDER {name!r}")
    return PROVIDERS[name]()
