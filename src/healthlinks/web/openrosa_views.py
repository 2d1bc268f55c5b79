"""ODK Collect and Enketo use Healthlinks as their form server: point ODK Collect at
`https://<server>/openrosa/<your API token>` (Settings → Project → Server). The token is the account's API token
(/accounts/token/): the forms listed are the surveys the account may see (with a manifest of their choices files,
each downloaded under the same token), and a submission is stored as the account's answer, under the same rules
as the web form."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from healthlinks.accounts.models import User
from healthlinks.evaluation import selectors
from healthlinks.evaluation.models import Instrument, Source
from healthlinks.evaluation.services import LinkError, resolve_links, response_upsert
from healthlinks.evaluation.webform import check_submission
from healthlinks.interchange.surveys import openrosa

HEADERS = {"X-OpenRosa-Version": "1.0", "X-OpenRosa-Accept-Content-Length": str(20 * 1024 * 1024)}
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _answer(body: bytes, status: int, content_type: str = "text/xml; charset=utf-8") -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=content_type)
    for name, value in HEADERS.items():
        response[name] = value
    return response


def _say(message: str, status: int) -> HttpResponse:
    return _answer(openrosa.response_xml(message), status)


def _user(token: str) -> User | None:
    found = Token.objects.select_related("user").filter(key=token).first()
    return found.user if found is not None and found.user.is_active else None


def _with_token(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The token's account (None if unknown, revoked or inactive), looked up once and given to the view; the
    answers Collect shows are in the language that account chose (else the phone's, which the locale middleware
    read from Accept-Language)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
        user = _user(token)
        with translation.override((user.language if user is not None else "") or translation.get_language()):
            return view(request, token, user, *args, **kwargs)

    return wrapped


def _form(instrument: Instrument) -> tuple[bytes, dict[str, bytes]]:
    """The XForm and its media files (by name), kept while the instrument is unchanged."""
    key = f"openrosa-form:{instrument.pk}:{instrument.updated_at.timestamp()}"
    found = cache.get(key)
    if found is None:
        found = openrosa.xform_and_media(instrument)
        cache.set(key, found, 24 * 3600)
    return bytes(found[0]), dict(found[1])


@require_http_methods(["GET", "HEAD"])
@_with_token
def form_list(request: HttpRequest, token: str, user: User | None) -> HttpResponse:
    if user is None:
        return _say(_("unknown or revoked token: copy your API token from Healthlinks again"), 403)
    forms = []
    for instrument in selectors.instruments_visible_to(user):
        xml, media = _form(instrument)
        base = f"/openrosa/{token}/forms/{instrument.slug}"
        manifest = request.build_absolute_uri(f"{base}/manifest") if media else ""
        forms.append((instrument, xml, request.build_absolute_uri(f"{base}.xml"), manifest))
    return _answer(openrosa.form_list(forms), 200)


@require_http_methods(["GET", "HEAD"])
@_with_token
def form_download(request: HttpRequest, token: str, user: User | None, slug: str) -> HttpResponse:
    if user is None:
        return _say(_("unknown or revoked token"), 403)
    instrument = get_object_or_404(selectors.instruments_visible_to(user), slug=slug)
    return _answer(_form(instrument)[0], 200)


@require_http_methods(["GET", "HEAD"])
@_with_token
def form_manifest(request: HttpRequest, token: str, user: User | None, slug: str) -> HttpResponse:
    """The form's media files (choices CSVs), each with its md5 and where to download it."""
    if user is None:
        return _say(_("unknown or revoked token"), 403)
    instrument = selectors.instruments_visible_to(user).filter(slug=slug).first()
    if instrument is None:
        return _say(_("no survey '{slug}' that this account may see").format(slug=slug), 404)
    files = [
        (name, data, request.build_absolute_uri(f"/openrosa/{token}/forms/{instrument.slug}/media/{quote(name)}"))
        for name, data in sorted(_form(instrument)[1].items())
    ]
    return _answer(openrosa.manifest(files), 200)


@require_http_methods(["GET", "HEAD"])
@_with_token
def form_media(request: HttpRequest, token: str, user: User | None, slug: str, filename: str) -> HttpResponse:
    if user is None:
        return _say(_("unknown or revoked token"), 403)
    instrument = selectors.instruments_visible_to(user).filter(slug=slug).first()
    if instrument is None:
        return _say(_("no survey '{slug}' that this account may see").format(slug=slug), 404)
    data = _form(instrument)[1].get(filename)
    if data is None:
        return _say(_("this survey has no media file '{name}'").format(name=filename), 404)
    response = _answer(data, 200, "text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{SAFE_NAME.sub("_", filename)}"'
    return response


@csrf_exempt
@require_http_methods(["HEAD", "GET", "POST"])
@_with_token
def submission(request: HttpRequest, token: str, user: User | None) -> HttpResponse:
    """The HEAD pre-flight (204), and a multipart submission: `xml_submission_file` and its attachments."""
    if user is None:
        return _say(_("unknown or revoked token"), 403 if request.method == "POST" else 401)
    if request.method != "POST":
        return _answer(b"", 204)
    upload = request.FILES.get("xml_submission_file")
    if upload is None:
        return _say(_("no xml_submission_file in the submission"), 400)
    visible = selectors.instruments_visible_to(user)
    try:
        raw = upload.read(openrosa.MAX_SUBMISSION_BYTES + 1)
        found_id, version, instance_id, _posted = openrosa.read_submission(raw, set())
        instrument = visible.filter(form_id=found_id).first() or visible.filter(slug=found_id).first()
        if instrument is None:
            return _say(_("no survey with form id '{form}' that this account may answer").format(form=found_id), 404)
        repeats = set(instrument.questions.exclude(repeat_path="").values_list("repeat_path", flat=True))
        if repeats:  # read again, now that the form's repeats are known (instances after the first: repeat[n])
            _id, _version, instance_id, posted = openrosa.read_submission(raw, repeats)
        else:
            posted = _posted
    except openrosa.SubmissionRefused as exc:
        return _say(str(exc), 400)
    if not instance_id:
        return _say(_("the submission has no meta/instanceID"), 400)
    answers, errors, values = check_submission(instrument, posted)
    if errors:
        return _say("; ".join(f"{path}: {error}" for path, error in errors.items()), 400)
    try:
        links = resolve_links(values, user)
        response, _created = response_upsert(
            by=user,
            instrument=instrument,
            uuid=instance_id,
            submitted_at=timezone.now(),
            source=Source.ODK,
            answers=answers,
            links=links,
        )
    except LinkError as exc:
        return _say(f"{exc.question}: {exc.reason}", 400)
    except ValidationError as exc:
        return _say(" ".join(exc.messages), 400)
    _keep_attachments(request, instrument, response.uuid)
    saved = _("{survey}: saved ({version})").format(survey=instrument.title, version=version or _("no version"))
    return _say(f"✓ {saved}", 201)


def _keep_attachments(request: HttpRequest, instrument: Instrument, uuid: str) -> None:
    """Photos and other files sent with a submission, kept under MEDIA_ROOT/openrosa/<survey>/<submission>/."""
    folder = Path(settings.MEDIA_ROOT) / "openrosa" / instrument.slug / SAFE_NAME.sub("_", uuid)
    for name in request.FILES:
        if name == "xml_submission_file":
            continue
        upload = request.FILES.get(name)
        if upload is None:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / (SAFE_NAME.sub("_", upload.name or name)[:120] or "file")
        with target.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
