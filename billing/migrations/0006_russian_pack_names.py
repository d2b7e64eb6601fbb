from django.db import migrations

# The default packs (setup_packs) were named in English; sellers read Russian. A pack an operator renamed
# or resized is not one of these, and is left as it is.
RENAMES = [("Start", "Старт", 30), ("Seller", "Продавец", 100), ("Pro", "Профи", 300)]


def to_russian(apps, schema_editor):
    CreditPack = apps.get_model("billing", "CreditPack")
    for english, russian, credits in RENAMES:
        CreditPack.objects.filter(name=english, credits=credits).update(name=russian)


def to_english(apps, schema_editor):
    CreditPack = apps.get_model("billing", "CreditPack")
    for english, russian, credits in RENAMES:
        CreditPack.objects.filter(name=russian, credits=credits).update(name=english)


class Migration(migrations.Migration):
    dependencies = [("billing", "0005_payment_message_markers")]

    operations = [migrations.RunPython(to_russian, to_english)]
