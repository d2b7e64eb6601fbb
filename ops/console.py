"""The admin site's own words: the header and title support sees, and no «View site» (the bot lives in
Telegram; there is no public site to view)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = admin.site.site_title = _("NeuroCards — support")
admin.site.index_title = _("Console")
admin.site.site_url = None
