"""DOIs stored with text after them (a Rayyan export's "10.x/y http://dx.doi.org/10.x/y") get their clean DOI and
key, so that de-duplication by DOI finds them."""

from django.db import migrations


def rekey(apps, schema_editor):
    from healthlinks.evidence.models import normalise_doi

    Reference = apps.get_model("evidence", "Reference")
    for reference in Reference.objects.exclude(doi="").only("pk", "doi", "doi_key").iterator():
        key = normalise_doi(reference.doi)
        if key and (reference.doi_key != key or reference.doi != key):
            Reference.objects.filter(pk=reference.pk).update(doi=key, doi_key=key)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_initial")]
    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
