"""The OpenRosa protocol that ODK Collect and Enketo speak to a form server (https://docs.getodk.org/openrosa/):
the form list, the form (the XForm pyxform makes from the instrument's XLSForm), its media manifest (the CSV files
of select_one_external and select_one_from_file questions) and submissions (an XML instance and its attachments,
multipart). A submission becomes the same posted fields as the web form, so it is checked
and stored exactly as a web or imported answer is."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from typing import Any

from django.utils.translation import gettext as _
from lxml import etree

from healthlinks.evaluation.models import Choice, Instrument

XFORMS_LIST = "http://openrosa.org/xforms/xformsList"
MANIFEST = "http://openrosa.org/xforms/xformsManifest"
ITEMSETS = "itemsets.csv"  # the file ODK Collect reads select_one_external's choices from (pyxform writes it)
MEDIA_SOURCE = re.compile(r'src="jr://file(?:-csv)?/([^"/]+)"')  # a secondary instance read from a media file
RESPONSE = "http://openrosa.org/http/response"
MAX_SUBMISSION_BYTES = 10 * 1024 * 1024  # the XML instance; attachments are bounded by the upload limit


class SubmissionRefused(Exception):
    """The submission cannot be read (said to ODK Collect, which shows it to the enumerator)."""


def xform(instrument: Instrument) -> bytes:
    """The XForm of an instrument, as pyxform converts its stored XLSForm (what ODK Collect downloads)."""
    return xform_and_media(instrument)[0]


def xform_and_media(instrument: Instrument) -> tuple[bytes, dict[str, bytes]]:
    """The XForm of an instrument and the media files it reads, by file name: pyxform's itemsets.csv (the
    external_choices sheet) and each CSV a select_one_from_file question names, written back from the choices
    stored with the instrument. A file the form names that was not uploaded is not listed (the upload warned)."""
    from pyxform import xls2xform

    legacy = bytes(instrument.xlsform[:8]) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    result = xls2xform.convert(
        xlsform=io.BytesIO(bytes(instrument.xlsform)), file_type=".xls" if legacy else ".xlsx", validate=False
    )
    xml = result.xform.encode()
    media: dict[str, bytes] = {}
    itemsets = getattr(result, "itemsets", None)
    if itemsets:
        media[ITEMSETS] = itemsets.encode()
    names = [n for n in dict.fromkeys(MEDIA_SOURCE.findall(result.xform)) if n not in media]
    if names:
        rows: dict[str, list[Choice]] = {}
        for choice in instrument.choices.filter(list_name__in=names).order_by("list_name", "order"):
            rows.setdefault(choice.list_name, []).append(choice)
        for name in names:
            if name in rows:
                media[name] = _choices_csv(rows[name])
    return xml, media


def _choices_csv(choices: list[Choice]) -> bytes:
    """A choices file as ODK Collect reads it: name, label, label::Language and the other columns kept."""
    languages = list(dict.fromkeys(language for c in choices for language in c.labels))
    others = list(dict.fromkeys(column for c in choices for column in c.columns))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "label", *(f"label::{language}" for language in languages), *others])
    for c in choices:
        writer.writerow(
            [c.name, c.label, *(c.labels.get(lang, "") for lang in languages), *(c.columns.get(o, "") for o in others)]
        )
    return out.getvalue().encode()


def md5(data: bytes) -> str:
    return "md5:" + hashlib.md5(data, usedforsecurity=False).hexdigest()


def form_list(forms: list[tuple[Instrument, bytes, str, str]]) -> bytes:
    """The OpenRosa form list for (instrument, its XForm, its download URL, its manifest URL or "" if it has no
    media)."""
    root = etree.Element("xforms", nsmap={None: XFORMS_LIST})
    for instrument, xml, url, manifest_url in forms:
        item = etree.SubElement(root, "xform")
        for tag, text in (
            ("formID", form_id(instrument)),
            ("name", instrument.title),
            ("version", instrument.version),
            ("hash", md5(xml)),
            ("downloadUrl", url),
            *((("manifestUrl", manifest_url),) if manifest_url else ()),
        ):
            etree.SubElement(item, tag).text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def manifest(files: list[tuple[str, bytes, str]]) -> bytes:
    """The OpenRosa manifest of a form's media: (file name, its bytes, its download URL)."""
    root = etree.Element("manifest", nsmap={None: MANIFEST})
    for name, data, url in files:
        item = etree.SubElement(root, "mediaFile")
        for tag, text in (("filename", name), ("hash", md5(data)), ("downloadUrl", url)):
            etree.SubElement(item, tag).text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def form_id(instrument: Instrument) -> str:
    return instrument.form_id or instrument.slug


def response_xml(message: str) -> bytes:
    root = etree.Element("OpenRosaResponse", nsmap={None: RESPONSE})
    etree.SubElement(root, "message", nature="submit_success" if message.startswith("✓") else "").text = message
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def read_submission(raw: bytes, repeats: set[str]) -> tuple[str, str, str, dict[str, list[str]]]:
    """(form id, version, instance id, the answers as the web form posts them) of an XML instance. Repeat
    instances after the first are posted as `repeat[n]/question`, as the web form does."""
    if len(raw) > MAX_SUBMISSION_BYTES:
        raise SubmissionRefused(_("the submission is larger than 10 MB"))
    try:
        root = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise SubmissionRefused(_("the submission is not well-formed XML: {error}").format(error=exc)) from None
    posted: dict[str, list[str]] = {}
    instance_id = ""

    def local(element: Any) -> str:
        return str(etree.QName(element).localname)

    def walk(element: Any, path: str) -> None:
        nonlocal instance_id
        seen: dict[str, int] = {}
        for child in element:
            if not isinstance(child.tag, str):
                continue
            name = local(child)
            plain = f"{path}/{name}" if path else name
            if plain == "meta":
                found = child.find("{*}instanceID")
                instance_id = (found.text or "").strip() if found is not None else ""
                continue
            seen[plain] = seen.get(plain, 0) + 1
            here = plain if plain not in repeats or seen[plain] == 1 else f"{plain}[{seen[plain]}]"
            if len(child):
                walk(child, here)
            elif (child.text or "").strip():
                posted.setdefault(here, []).append(child.text.strip())

    walk(root, "")
    return str(root.get("id") or ""), str(root.get("version") or ""), instance_id, posted
