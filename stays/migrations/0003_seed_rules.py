"""Seeds the stay rules of DOMAIN.md section 2 (the table and the citizenship groups: ``stays/seed.py``)."""

from django.db import migrations


def seed(apps, schema_editor):
    from stays.seed import stay_rules_seed

    stay_rules_seed(rule_model=apps.get_model("stays", "StayRule"))


def unseed(apps, schema_editor):
    from stays.seed import SEED_RULES

    apps.get_model("stays", "StayRule").objects.filter(name__in=[fields["name"] for fields in SEED_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("stays", "0002_rule_checks")]

    operations = [migrations.RunPython(seed, unseed)]
