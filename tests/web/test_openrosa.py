"""ODK Collect and Enketo with Healthlinks as their server (issue 23): the test speaks OpenRosa as ODK Collect
does — the form list, the XForm download, the HEAD pre-flight, a multipart submission with a photo — and finds
the answers stored as a web or imported response is; a bad token, bad XML, an unknown form and someone else's
partnership are refused with a message ODK Collect shows."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from lxml import etree
from rest_framework.authtoken.models import Token

from healthlinks.evaluation.demo import load_instruments
from healthlinks.evaluation.models import Response

pytestmark = pytest.mark.django_db

OR = {"HTTP_X_OPENROSA_VERSION": "1.0"}
XF = "{http://www.w3.org/2002/xforms}"


@pytest.fixture
def odk(network_world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    load_instruments()
    token = Token.objects.create(user=network_world["coordinator"]).key
    return {"world": network_world, "client": client, "base": f"/openrosa/{token}", "media": tmp_path}


def _download(odk, form_id="trainee_followup"):
    listing = odk["client"].get(odk["base"] + "/formList", **OR)
    assert listing.status_code == 200 and listing["X-OpenRosa-Version"] == "1.0"
    forms = etree.fromstring(listing.content)
    ns = {"x": "http://openrosa.org/xforms/xformsList"}
    urls = {f.findtext("x:formID", namespaces=ns): f.findtext("x:downloadUrl", namespaces=ns) for f in forms}
    assert urls[form_id].startswith("http://testserver/openrosa/")
    xform = odk["client"].get(urls[form_id].removeprefix("http://testserver"), **OR)
    assert xform.status_code == 200
    return etree.fromstring(xform.content)


def _instance(xform, **values):
    """The form's primary instance filled in, as ODK Collect writes it."""
    root = next(iter(xform.iter(f"{XF}instance")))[0]
    for element in root.iter():
        name = etree.QName(element).localname
        if name in values:
            element.text = values[name]
        if name == "instanceID":
            element.text = f"uuid:{uuid.uuid4()}"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _submit(odk, xml, *extra):
    files = {"xml_submission_file": SimpleUploadedFile("submission.xml", xml, "text/xml")}
    for f in extra:
        files[f.name] = f
    return odk["client"].post(odk["base"] + "/submission", files, **OR)


def test_odk_collect_lists_downloads_and_submits_with_a_photo(odk):
    xform = _download(odk)
    preflight = odk["client"].head(odk["base"] + "/submission", **OR)
    assert preflight.status_code == 204 and int(preflight["X-OpenRosa-Accept-Content-Length"]) > 0
    xml = _instance(
        xform, partnership=odk["world"]["p"].slug, followup_point="m6", respondent_role="nurse",
        uses_skills="often", practice_changed="yes", changes="protocol teaching",
    )  # fmt: skip
    photo = SimpleUploadedFile("ward.jpg", b"\xff\xd8\xff\xe0 a photo", "image/jpeg")
    answer = _submit(odk, xml, photo)
    assert answer.status_code == 201, answer.content
    assert b"submit_success" in answer.content
    response = Response.objects.get()
    assert response.source == "odk" and response.partnership == odk["world"]["p"]
    assert response.submitted_by == odk["world"]["coordinator"]
    values = {a.question.name: a.value for a in response.answers.select_related("question")}
    assert values["followup_point"] == "m6" and "teaching" in {
        a.value for a in response.answers.filter(question__name="changes")
    }
    assert [p.name for p in (odk["media"] / "openrosa" / "trainee-followup").glob("*/*")] == ["ward.jpg"]
    assert _submit(odk, xml).status_code == 201 and Response.objects.count() == 1  # a retry is the same answer


def test_bad_tokens_xml_forms_and_partnerships_are_refused_with_a_message(odk, make_partnership, make_user):
    assert odk["client"].get("/openrosa/not-a-token/formList", **OR).status_code == 403
    assert _submit(odk, b"<data><unclosed></data>").status_code == 400
    unknown = _submit(odk, b'<data id="no-such-form"><meta><instanceID>uuid:1</instanceID></meta></data>')
    assert unknown.status_code == 404 and b"no-such-form" in unknown.content
    other = make_partnership(name="Not Mine", coordinator=make_user("not-me", "coordinator"))
    xml = _instance(_download(odk), partnership=other.slug, followup_point="m6", respondent_role="nurse",
                    uses_skills="often", practice_changed="no")  # fmt: skip
    refused = _submit(odk, xml)
    assert refused.status_code == 400 and b"partnership" in refused.content
    assert not Response.objects.exists()


def test_collect_shows_the_refusal_in_the_accounts_language(odk):
    coordinator = odk["world"]["coordinator"]
    coordinator.language = "fr"
    coordinator.save(update_fields=["language"])
    refused = _submit(odk, b'<data id="no-such-form"><meta><instanceID>uuid:1</instanceID></meta></data>')
    assert refused.status_code == 404
    assert "aucun questionnaire" in refused.content.decode().lower() or "no-such-form" in refused.content.decode()
    assert "no survey with form id" not in refused.content.decode()
