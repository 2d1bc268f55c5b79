"""The OpenRosa protocol that ODK Collect and Enketo speak to a form server (https://docs.getodk.org/openrosa/):
the form list, the form (the XForm pyxform makes from the instrument's XLSForm) and submissions (an XML instance
and its attachments, multipart). A submission becomes the same posted fields as the web form, so it is checked
and stored exactly as a web or imported answer is."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from django.utils.translation import gettext as _
from lxml import etree

from healthlinks.evaluation.models import Instrument

XFORMS_LIST = "http://openrosa.org/xforms/xformsList"
RESPONSE = "http://openrosa.org/http/response"
MAX_SUBMISSION_BYTES = 10 * 1024 * 1024  # the XML instance; attachments are bounded by the upload limit


class SubmissionRefused(Exception):
    """The submission cannot be read (said to ODK Collect, which shows it to the enumerator)."""


def xform(instrument: Instrument) -> bytes:
    """The XForm of an instrument, as pyxform converts its stored XLSForm (what ODK Collect downloads)."""
    from pyxform import xls2xform

    legacy = bytes(instrument.xlsform[:8]) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    result = xls2xform.convert(
        xlsform=io.BytesIO(bytes(instrument.xlsform)), file_type=".xls" if legacy else ".xlsx", validate=False
    )
    return result.xform.encode()


def form_list(forms: list[tuple[Instrument, bytes, str]]) -> bytes:
    """The OpenRosa form list for (instrument, its XForm, its download URL)."""
    root = etree.Element("xforms", nsmap={None: XFORMS_LIST})
    for instrument, xml, url in forms:
        item = etree.SubElement(root, "xform")
        for tag, text in (
            ("formID", form_id(instrument)),
            ("name", instrument.title),
            ("version", instrument.version),
            ("hash", "md5:" + hashlib.md5(xml, usedforsecurity=False).hexdigest()),
            ("downloadUrl", url),
        ):
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
