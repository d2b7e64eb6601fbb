"""The admin's own middlewares: a Content-Security-Policy (staff pages run only the admin's own scripts and
stylesheets, so text that slips into a page, a user's name or a provider's error, can't run as script there),
and the staff's language."""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.urls import reverse
from django.utils import translation

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


class BothKinds:
    """A middleware of both kinds, like Django's own: a sync-only one would push every async request (the
    webhook) through a thread hop. A subclass's `__call__` returns `self._acall(request)` when `is_async`."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)


class AdminContentSecurityPolicy(BothKinds):
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


class StaffLocale(LocaleMiddleware):
    """The admin in the staff's language: LANGUAGE_CODE, or the one a member picked in its header (the language
    cookie, set by Django's set_language). A browser's Accept-Language is not asked there: most staff browsers
    say English, and support works in the operator's language. Other pages negotiate as Django does."""

    def process_request(self, request):
        if not request.path.startswith(reverse("admin:index")):
            return super().process_request(request)
        picked = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        translation.activate(picked if picked in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()
        return None
