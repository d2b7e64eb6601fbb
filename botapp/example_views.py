"""An example's file for staff who may see examples: the admin's preview. Nothing serves it publicly."""

import logging

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.views.decorators.http import require_safe

from botapp.models import Example
from generations.media_views import serve_private

log = logging.getLogger(__name__)


@require_safe
@staff_member_required
def example_file(request, pk):
    if not request.user.has_perm("botapp.view_example"):
        raise PermissionDenied
    name = Example.objects.filter(pk=pk).values_list("file", flat=True).first()
    response = serve_private(name)
    log.info("example %s shown to staff user %s", pk, request.user.pk)
    return response
