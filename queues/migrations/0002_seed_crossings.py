from django.db import migrations


def seed(apps, schema_editor):
    from queues.catalogue import load_crossings

    load_crossings(crossing_model=apps.get_model("queues", "Crossing"), queue_model=apps.get_model("queues", "Queue"))


class Migration(migrations.Migration):
    dependencies = [("queues", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
