"""whitenoise in front of the app: /static/ answered the same with or without nginx."""

import os

from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFiles(WhiteNoiseMiddleware):
    """whitenoise, with STATIC_ROOT taken only once collectstatic has made it.

    Before that (make run, the tests, a checkout) the finders serve the apps' own static folders
    (WHITENOISE_USE_FINDERS), so a missing STATIC_ROOT is normal, not worth whitenoise's warning on every start.
    """

    def add_files(self, root, prefix=None):
        if os.path.abspath(root) == os.path.abspath(settings.STATIC_ROOT) and not os.path.isdir(root):
            return
        super().add_files(root, prefix)
