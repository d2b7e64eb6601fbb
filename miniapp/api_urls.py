from django.urls import path, re_path

from miniapp import api

# Ids are checked by their shape here (digits that fit a bigint), so junk is a JSON 404, never a database error.
ID = r"(?P<pk>[0-9]{1,18})"

urlpatterns = [
    path("me", api.me, name="miniapp-me"),
    path("gallery", api.gallery, name="miniapp-gallery"),
    path("orders", api.orders, name="miniapp-orders"),
    re_path(rf"^generations/{ID}/cancel$", api.cancel, name="miniapp-cancel"),
    re_path(rf"^generations/{ID}/send$", api.send, name="miniapp-send"),
    re_path(rf"^generations/{ID}/again$", api.again, name="miniapp-again"),
    path("history", api.history, name="miniapp-history"),
    path("buy", api.buy, name="miniapp-buy"),
    re_path(r"^payments/(?P<payment_id>[0-9a-fA-F-]{32,36})$", api.payment, name="miniapp-payment"),
    re_path(r"^thumbs/(?P<token>[A-Za-z0-9_.:-]{1,200})$", api.thumb, name="miniapp-thumb"),
    # Anything else under /miniapp/api/ is a JSON 404 too (the page reads every answer as JSON).
    re_path(r"^(?P<path>.*)$", api.unknown),
]
