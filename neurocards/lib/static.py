"""whitenoise in front of the app: /static/ answered the same with or without nginx."""

import os

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFiles(WhiteNoiseMiddleware):
    """whitenoise, with STATIC_ROOT taken only once collectstatic has made it, and of both kinds.

    Before collectstatic (make run, the tests, a checkout) the finders serve the apps' own static folders
    (WHITENOISE_USE_FINDERS), so a missing STATIC_ROOT is normal, not worth whitenoise's warning on every start.

    whitenoise's own middleware is sync only: under ASGI, Django then ran it and every middleware above it in a
    thread and came back to the event loop for the rest, two thread hops on every request, the webhook's too.
    Here a request that is not for a static file goes on in the event loop; only serving a file (which opens
    it) and, with autorefresh (DEBUG), looking one up on disk leave the loop.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response=None, settings=settings):
        super().__init__(get_response, settings)
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def add_files(self, root, prefix=None):
        if os.path.abspath(root) == os.path.abspath(settings.STATIC_ROOT) and not os.path.isdir(root):
            return
        super().add_files(root, prefix)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        return super().__call__(request)

    async def _acall(self, request):
        if self.autorefresh:
            static_file = await sync_to_async(self.find_file, thread_sensitive=False)(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is None:
            return await self.get_response(request)
        return await sync_to_async(self.serve, thread_sensitive=False)(static_file, request)
