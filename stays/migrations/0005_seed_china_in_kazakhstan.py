"""Citizens of China in Kazakhstan: visa-free since 10 Nov 2023 under the terms of the other visa-free foreigners
(30 days per entry, 90 in any 180). Databases seeded before this rule existed get it here; ``stays/seed.py`` holds
its data and source."""

from django.db import migrations


def seed(apps, schema_editor):
    from stays.seed import CHINA_IN_KAZAKHSTAN

    fields = dict(CHINA_IN_KAZAKHSTAN)
    apps.get_model("stays", "StayRule").objects.update_or_create(name=fields.pop("name"), defaults=fields)


def unseed(apps, schema_editor):
    from stays.seed import CHINA_IN_KAZAKHSTAN

    apps.get_model("stays", "StayRule").objects.filter(name=CHINA_IN_KAZAKHSTAN["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [("stays", "0004_field_verbose_names")]

    operations = [migrations.RunPython(seed, unseed)]
