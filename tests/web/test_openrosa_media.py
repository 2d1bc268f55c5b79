"""The media of an OpenRosa form: a form whose questions take their choices from files (select_one_external's
itemsets.csv, select_one_from_file's uploaded CSV) is listed with a manifestUrl; the manifest names each file with
its md5 and download URL, and each file downloads under the same token as the form. The test speaks the protocol
as ODK Collect does: formList → manifest → each file, its md5 checked against the manifest."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import etree
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token

from healthlinks.evaluation.demo import load_instruments
from healthlinks.evaluation.models import Choice
from healthlinks.evaluation.services import instrument_save
from tests.evaluation.conftest import workbook

pytestmark = pytest.mark.django_db

OR = {"HTTP_X_OPENROSA_VERSION": "1.0"}
LIST = {"x": "http://openrosa.org/xforms/xformsList"}
MANIFEST = {"m": "http://openrosa.org/xforms/xformsManifest"}
SURVEY = [
    ["type", "name", "label", "choice_filter"],
    ["select_one region", "region", "Region", ""],
    ["select_one_external district", "district", "District", "region=${region}"],
    ["select_one_from_file facilities.csv", "facility", "Facility", "district=${district}"],
    ["select_multiple_from_file wards.csv", "wards", "Wards", ""],
]
CHOICES = [["list_name", "name", "label"], ["region", "north", "Northern"], ["region", "west", "Western"]]
EXTERNAL = [
    ["list_name", "name", "label", "region"],
    ["district", "gulu", "Gulu", "north"],
    ["district", "mbarara", "Mbarara", "west"],
]
FACILITIES = (
    "name,label,label::French (fr),district\n"
    "gulu_rrh,Gulu Regional Referral Hospital,Hôpital régional de Gulu,gulu\n"
    'mbarara_rrh,"Mbarara RRH, west",Hôpital de Mbarara,mbarara\n'
)
WARDS = "name,label\nmaternity,Maternity\nsurgery,Surgery\n"


def _form() -> bytes:
    book = load_workbook(io.BytesIO(workbook(SURVEY, CHOICES, [["form_title", "form_id"], ["Places", "places"]])))
    sheet = book.create_sheet("external_choices")
    for row in EXTERNAL:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def odk(network_world, client):
    load_instruments()  # the shipped surveys: no media
    places = instrument_save(
        by=None,
        raw=_form(),
        name="places.xlsx",
        media={"facilities.csv": FACILITIES.encode(), "wards.csv": WARDS.encode()},
    )
    token = Token.objects.create(user=network_world["coordinator"]).key
    return {"client": client, "base": f"/openrosa/{token}", "places": places}


def _get(odk, url, status=200):
    response = odk["client"].get(url.removeprefix("http://testserver"), **OR)
    assert response.status_code == status, response.content
    assert response["X-OpenRosa-Version"] == "1.0"
    return response


def _listing(odk):
    forms = etree.fromstring(_get(odk, odk["base"] + "/formList").content)
    return {f.findtext("x:formID", namespaces=LIST): f for f in forms}


def _media(odk):
    """What ODK Collect does after the form list: the manifest, then every file it names, md5 checked."""
    manifest_url = _listing(odk)["places"].findtext("x:manifestUrl", namespaces=LIST)
    assert manifest_url.startswith("http://testserver/openrosa/")
    manifest = etree.fromstring(_get(odk, manifest_url).content)
    assert etree.QName(manifest).localname == "manifest"
    files = {}
    for item in manifest.findall("m:mediaFile", MANIFEST):
        name = item.findtext("m:filename", namespaces=MANIFEST)
        download = _get(odk, item.findtext("m:downloadUrl", namespaces=MANIFEST))
        assert item.findtext("m:hash", namespaces=MANIFEST) == "md5:" + hashlib.md5(download.content).hexdigest()
        files[name] = download.content.decode()
    return files


def test_collect_lists_the_manifest_and_downloads_every_file_with_its_md5(odk):
    forms = _listing(odk)
    assert forms["trainee_followup"].find("x:manifestUrl", LIST) is None  # a form without media has none
    assert [etree.QName(e).localname for e in forms["places"]][-2:] == ["downloadUrl", "manifestUrl"]
    files = _media(odk)
    assert sorted(files) == ["facilities.csv", "itemsets.csv", "wards.csv"]
    assert "district" in files["itemsets.csv"] and "mbarara" in files["itemsets.csv"]
    assert files["facilities.csv"].splitlines()[0] == "name,label,label::French (fr),district"
    assert '"Mbarara RRH, west"' in files["facilities.csv"] and "Hôpital régional de Gulu" in files["facilities.csv"]
    assert files["wards.csv"].splitlines() == ["name,label", "maternity,Maternity", "surgery,Surgery"]


def test_a_served_choices_file_reads_back_as_the_same_choices(odk):
    files = _media(odk)
    before = list(Choice.objects.filter(list_name="facilities.csv").values_list("name", "label", "labels", "columns"))
    instrument_save(
        by=None,
        raw=_form(),
        name="places.xlsx",
        slug=odk["places"].slug,
        media={"facilities.csv": files["facilities.csv"].encode(), "wards.csv": files["wards.csv"].encode()},
    )
    after = list(Choice.objects.filter(list_name="facilities.csv").values_list("name", "label", "labels", "columns"))
    assert after == before and len(after) == 2


def test_a_file_that_was_not_uploaded_is_not_in_the_manifest(odk):
    instrument_save(by=None, raw=_form(), name="places.xlsx", slug=odk["places"].slug)
    assert sorted(_media(odk)) == ["itemsets.csv"]
    _get(odk, odk["base"] + f"/forms/{odk['places'].slug}/media/facilities.csv", status=404)


def test_media_need_the_token_and_a_known_file(odk):
    slug = odk["places"].slug
    for url in (f"/forms/{slug}/manifest", f"/forms/{slug}/media/itemsets.csv"):
        _get(odk, "/openrosa/not-a-token" + url, status=403)
    _get(odk, odk["base"] + f"/forms/{slug}/media/other.csv", status=404)
    _get(odk, odk["base"] + "/forms/no-such-survey/manifest", status=404)
    empty = etree.fromstring(_get(odk, odk["base"] + "/forms/trainee-followup/manifest").content)
    assert len(empty) == 0
    Token.objects.all().delete()  # revoked: the device is cut off from the files too
    _get(odk, odk["base"] + f"/forms/{slug}/media/itemsets.csv", status=403)


def test_the_token_is_looked_up_once_per_request(odk):
    slug = odk["places"].slug
    for url in ("/formList", f"/forms/{slug}.xml", f"/forms/{slug}/manifest", f"/forms/{slug}/media/wards.csv"):
        with CaptureQueriesContext(connection) as queries:
            _get(odk, odk["base"] + url)
        assert sum("authtoken_token" in q["sql"] for q in queries.captured_queries) == 1, url
    with CaptureQueriesContext(connection) as queries:
        assert odk["client"].head(odk["base"] + "/submission", **OR).status_code == 204
    assert sum("authtoken_token" in q["sql"] for q in queries.captured_queries) == 1
