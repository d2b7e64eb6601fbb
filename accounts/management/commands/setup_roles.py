from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

# Support looks everything up and acts only through the admin's actions, which go through the ledger
# and the services: no add, change or delete permission, so no balance or ledger row is edited by hand.
SUPPORT = {
    "accounts": ["view_telegramuser", "grant_credits", "revoke_credits", "block_user", "message_user"],
    "generations": [
        "view_generation",
        "refund_generation",
        "cancel_generation",
        "retry_generation",
        "resend_result",
    ],
    "billing": [
        "view_payment",
        "view_refund",
        "view_webhookevent",
        "view_credittransaction",
        "view_creditpack",
        "view_promocode",
        "view_promoredemption",
        "recheck_payment",
        "credit_payment",
        "resolve_payment",
    ],
    # The audit (ops/audit.py): every admin action, read-only.
    "admin": ["view_logentry"],
}


class Command(BaseCommand):
    help = (
        'Create or reset the "Support" group: it views users, generations, payments, refunds, webhook events, '
        "promo codes and their redemptions, the ledger and the audit of admin actions, and runs the grant, "
        "revoke, refund, cancel, retry, resend, block and message actions and re-checks, credits or resolves "
        "payments; it can't add, change or delete anything. Run after migrate; permissions added to the group "
        "by hand are removed."
    )

    def handle(self, *args, **options):
        wanted = Q(pk__in=[])
        for app_label, codenames in SUPPORT.items():
            wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
        permissions = list(Permission.objects.filter(wanted).select_related("content_type"))
        found = {(permission.content_type.app_label, permission.codename) for permission in permissions}
        missing = [
            f"{app_label}.{codename}"
            for app_label, codenames in SUPPORT.items()
            for codename in codenames
            if (app_label, codename) not in found
        ]
        if missing:
            raise CommandError(f"Permissions not found (run migrate first): {', '.join(missing)}")
        with transaction.atomic():
            group, created = Group.objects.get_or_create(name="Support")
            before = set(group.permissions.values_list("pk", flat=True))
            group.permissions.set(permissions)
        after = {p.pk for p in permissions}
        return (
            f"Support: {'created' if created else 'exists'}, {len(after)} permissions "
            f"({len(after - before)} added, {len(before - after)} removed)"
        )
