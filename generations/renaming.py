"""Files stored before names were random (`results/2026/11/23/42.mp4`) moved to random names, once.

Each stored file is copied to a new name, then every row naming it (generations of one order share a
photo) is switched by a conditional UPDATE on the old name, then the old file is deleted. A row that
changed meanwhile (cleanup emptied it) keeps its value and the copy is deleted instead; a rerun finds
only what is left to do.
"""

import logging

from django.core.files.storage import default_storage

from generations import storage
from generations.models import Generation

log = logging.getLogger(__name__)
FIELDS = {"reference_image": "references", "result_file": "results"}


def guessable_names():
    """{field: [stored names that are not random]}"""
    found = {}
    for field in FIELDS:
        names = set(Generation.objects.exclude(**{field: ""}).values_list(field, flat=True))
        found[field] = sorted(name for name in names if not storage.is_private_name(name))
    return found


def rename_guessable(*, dry_run=False):
    """Returns {field: files renamed (or, with dry_run, to rename)}; a file already gone is skipped."""
    found = guessable_names()
    if dry_run:
        return {field: len(names) for field, names in found.items()}
    renamed = dict.fromkeys(FIELDS, 0)
    for field, names in found.items():
        for old in names:
            if _rename(field, old):
                renamed[field] += 1
    log.info("rename media: %s", renamed)
    return renamed


def _rename(field, old):
    if not default_storage.exists(old):
        return False
    extension = storage.extension_of(old.rpartition("/")[2], "bin")
    with default_storage.open(old, "rb") as file:
        new = default_storage.save(storage.private_name(FIELDS[field], extension), file)
    if not Generation.objects.filter(**{field: old}).update(**{field: new}):
        default_storage.delete(new)
        return False
    default_storage.delete(old)
    return True
