"""Stored photos and results, for staff with permission and for sellers holding a signed link.

The bytes never come from a public location: on the filesystem nginx sends them from an `internal`
location named by X-Accel-Redirect (Django streams them itself when MEDIA_ACCEL_REDIRECT_PREFIX is
empty: debug, tests); on object storage the answer is a redirect to a presigned URL valid for minutes.
"""

import logging
import mimetypes

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.utils.encoding import iri_to_uri
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from generations import storage
from generations.models import Generation

log = logging.getLogger(__name__)
FIELDS = {"reference": "reference_image", "result": "result_file"}


@require_safe
@staff_member_required
def staff_media(request, pk, field):
    if not request.user.has_perm("generations.view_generation"):
        raise PermissionDenied
    if field not in FIELDS:
        raise Http404
    name = Generation.objects.filter(pk=pk).values_list(FIELDS[field], flat=True).first()
    response = _serve(name)
    log.info("generation %s: %s shown to staff user %s", pk, field, request.user.pk)
    return response


@require_safe
def result_link(request, token):
    # Junk, a guess, an altered or expired link and a deleted result all look the same: not found.
    generation_id = storage.generation_id_of(token)
    generation = Generation.objects.filter(pk=generation_id).first() if generation_id else None
    if generation is None or not storage.verify_result_link(generation, token):
        raise Http404
    extension = generation.result_file.name.rpartition(".")[2]
    return _serve(generation.result_file.name, download=f"{generation.kind}_{generation.pk}.{extension}")


def _serve(name, *, download=None):
    """The stored file, or a 404; `download` makes it a download under that file name."""
    if not name:
        raise Http404
    disposition = content_disposition_header(True, download) if download else None
    if not isinstance(default_storage, FileSystemStorage):
        parameters = {"ResponseContentDisposition": disposition} if disposition else None
        return HttpResponseRedirect(default_storage.url(name, parameters=parameters, expire=settings.S3_URL_SECONDS))
    try:
        path = default_storage.path(name)  # refuses a name that leads outside MEDIA_ROOT
    except SuspiciousFileOperation:
        raise Http404 from None
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if settings.MEDIA_ACCEL_REDIRECT_PREFIX:
        if not default_storage.exists(name):
            raise Http404
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = iri_to_uri(f"{settings.MEDIA_ACCEL_REDIRECT_PREFIX}{name}")
    else:
        try:
            response = FileResponse(open(path, "rb"), content_type=content_type)  # noqa: SIM115  (it closes the file)
        except FileNotFoundError:
            raise Http404 from None
    if disposition:
        response["Content-Disposition"] = disposition
    # Only the one who asked may keep it: no shared cache holds a private file.
    response["Cache-Control"] = "private, max-age=300"
    return response


def serve_private(name):
    """A stored file for a staff view of another app (the examples), after that view's permission check."""
    return _serve(name)
