from django.urls import include, path

from miniapp import page

urlpatterns = [
    # The page is a shell with no user data; everything a user owns comes from the API, signed by Telegram.
    path("miniapp/", page.index, name="miniapp"),
    path("miniapp/api/", include("miniapp.api_urls")),
]
