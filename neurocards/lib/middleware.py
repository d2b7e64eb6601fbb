"""A Content-Security-Policy on the admin: staff pages run only the admin's own scripts and stylesheets, so
text that slips into a page (a user's name, a provider's error) can't run as script there."""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.urls import reverse

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Stylesheets only from our static files; a style attribute can't run script, and the admin's previews and
        # widgets use a few.
        "style-src 'self'",
        "style-src-elem 'self'",
        "style-src-attr 'unsafe-inline'",
        # Previews of photos and results: our own URLs, or (object storage) the https link they redirect to.
        "img-src 'self' data: https:",
        "media-src 'self' https:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class AdminContentSecurityPolicy:
    # Both kinds, like Django's own: a sync-only middleware would push every async request (the webhook) through
    # a thread hop.
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        return self._protect(request, self.get_response(request))

    async def _acall(self, request):
        return self._protect(request, await self.get_response(request))

    @staticmethod
    def _protect(request, response):
        if request.path.startswith(reverse("admin:index")):
            response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
