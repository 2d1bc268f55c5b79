"""The permission matrix: for every route of the web app and the API, the status each role gets.

Codes: 200 allowed; 302 sent to log in; 401/403 refused; 404 hidden (the object is not visible to that role);
405 method not allowed (a form that only accepts POST). `None` in `pending` entries: the route is enumerated and
checked for server errors and leaks, but its owner has not yet put objects for it in the matrix world.
Role order: public, researcher, member (of A), coordinator of another partnership (B), coordinator (of A),
hub admin. The sentinel person belongs to partnership A.

Add a line here for every new page or endpoint: the test fails on any route that has none.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from tests.security.world import ROLES


@dataclass(frozen=True)
class Entry:
    paths: tuple[str, ...]
    codes: tuple[int | None, ...]
    method: str = "GET"
    note: str = ""
    pending: bool = False


def e(paths: str, codes: str, note: str = "", method: str = "GET") -> Entry:
    values: tuple[int | None, ...] = tuple(int(c) for c in codes.split())
    assert len(values) == len(ROLES), paths
    return Entry(tuple(paths.split()), values, method, note)


def pending(paths: str, note: str) -> Entry:
    return Entry(tuple(paths.split()), (None,) * len(ROLES), "GET", note, pending=True)


ALL = "200 200 200 200 200 200  200 200 200"
SIGNED_IN = "302 200 200 200 200 200  200 200 200"
EDIT_A = "302 403 403 403 200 200  403 200 200"

MATRIX: dict[str, Entry] = {
    # Pages
    "dashboard": e("/", ALL),
    "workspace": e("/me/", SIGNED_IN, "one's own partnerships"),
    "partnership-list": e("/partnerships/", ALL),
    "partnership-create": e(
        "/partnerships/new/", "302 403 403 200 200 200  200 200 200", "coordinators and hub admins"
    ),
    "partnership-detail": e("/partnerships/{a}/", ALL, "private fields only to A's members"),
    "partnership-edit": e("/partnerships/{a}/edit/", EDIT_A),
    "partnership-mobility": e("/partnerships/{a}/mobility/", ALL, "aggregates; person rows only if signed in"),
    "partnership-network": e(
        "/partnerships/{a}/network/", "403 200 200 200 200 200  200 200 200", "pseudonymous ids only"
    ),
    "assessment-create": e("/partnerships/{a}/assessments/new/", EDIT_A),
    "partnership-results": e("/partnerships/{a}/results/", ALL),
    "partnership-outcomes": e("/partnerships/{a}/outcomes/", ALL),
    "partnership-costs": e("/partnerships/{a}/costs/", ALL),
    "activity-create": e("/partnerships/{a}/activities/new/", EDIT_A),
    "activity-list": e("/activities/", ALL),
    "activity-detail": e("/activities/{activity}/", ALL),
    "stay-create": e("/partnerships/{a}/stays/new/", EDIT_A),
    "person-create": e("/partnerships/{a}/people/new/", EDIT_A),
    "person-edit": e("/people/{person}/edit/", "302 404 404 404 200 200  404 200 200", "people one may edit"),
    "career-create": e(
        "/people/{person}/careers/new/", "302 403 403 404 200 200  403 200 200", "coordinators of the person"
    ),
    "careers": e("/careers/", SIGNED_IN, "retention of the people one may see"),
    "outcome-edit": e("/outcomes/{outcome}/edit/", EDIT_A),
    "tie-delete": e("/ties/{tie}/delete/", "302 405 405 405 405 405  405 405 405", "POST only"),
    "stays-bulk": e("/partnerships/{a}/stays/bulk/", "302 405 405 405 405 405  405 405 405", "POST only"),
    "activity-edit": e("/activities/{activity}/edit/", EDIT_A),
    "stay-edit": e("/stays/{stay}/edit/", "302 403 403 404 200 200  403 200 200", "hidden where not visible"),
    "stay-readiness": e(
        "/stays/{stay}/readiness/", "302 403 200 404 200 200  200 200 200", "members read; coordinators edit"
    ),
    "readiness-evidence": e(
        "/readiness/evidence/{readiness_check}/", "302 403 200 404 200 200  200 200 200", "as the stay's checklist"
    ),
    "readiness-overview": e("/readiness/", "302 403 200 200 200 200  200 200 200", "one's own partnerships"),
    "readiness-items": e("/readiness/items/", "302 403 403 403 403 200  403 403 200", "hub admins configure"),
    "readiness-item-edit": e(
        "/readiness/items/{readiness_item}/", "302 403 403 403 403 200  403 403 200", "hub admins configure"
    ),
    "people-list": e("/people/", SIGNED_IN, "researchers: consenting people, pseudonymous"),
    "activities-bulk": e(
        "/activities/bulk/", "302 405 405 405 405 405  405 405 405", "POST only; acts on activities one may change"
    ),
    "outcomes-bulk": e("/activities/{activity}/outcomes/bulk/", "302 405 405 405 405 405  405 405 405", "POST only"),
    "people-bulk": e(
        "/people/bulk/", "302 405 405 405 405 405  405 405 405", "POST only; acts on people one may change"
    ),
    "person-detail": e("/people/{person}/", "302 200 200 404 200 200  200 200 200", "researchers: pseudonymous"),
    "import": e("/import/", "302 403 403 200 200 200  200 200 200"),
    "import-template": e("/import/template/people.csv /import/template/stays.xlsx", ALL, "blank templates"),
    "export": e(
        "/export/people.csv /export/people.xlsx /export/stays.csv /export/ties.csv /export/people.csv?partnership={a} "
        "/export/institutions.csv /export/partnerships.xlsx /export/activities.csv /export/outcomes.xlsx",
        SIGNED_IN,
        "rows the role may see; names and contacts only to members",
    ),
    "research-export": e(
        "/research/export/ /research/export/?partnership={a}",
        "302 200 403 403 403 200  403 403 200",
        "researchers, hub admins",
    ),
    "research-export-zip": e(
        "/research/export.zip /research/export.zip?partnership={a}",
        "302 200 403 403 403 200  403 403 200",
        "pseudonymous tables of consenting people; researchers and hub admins",
    ),
    "institution-list": e("/institutions/", ALL),
    "institution-create": e("/institutions/new/", "302 403 403 200 200 200  200 200 200"),
    "institution-detail": e("/institutions/{institution}/", ALL),
    "institution-edit": e("/institutions/{institution}/edit/", "302 403 403 403 200 200  403 200 200"),
    "reference": e("/reference/", ALL),
    "login": e("/accounts/login/", ALL),
    "logout": e("/accounts/logout/", "405 405 405 405 405 405  405 405 405", "POST only"),
    "set_language": e("/i18n/setlang/", "302 302 302 302 302 302  302 302 302", "POST sets; GET goes back"),
    "ops-users": e("/ops/users/", "302 403 403 403 403 200  403 403 200", "hub admins only"),
    "ops-user-revoke": e("/ops/users/{victim}/revoke/", "302 403 403 403 403 302  403 403 302", method="POST"),
    "ops-erasure": e("/ops/erasure/", "302 403 403 403 403 200  403 403 200", "hub admins only"),
    "ops-deleted": e("/ops/deleted/", "302 403 403 403 403 200  403 403 200", "hub admins only"),
    "admin:*": e("/admin/", "302 302 302 302 302 200  302 302 200", "every Django admin page: staff (hub admins) only"),
    # API
    "schema": e("/api/schema/", ALL),
    "api-docs": e("/api/docs/", ALL),
    "api:api-root": e("/api/v1/", ALL),
    "api:country-list": e("/api/v1/countries/", ALL),
    "api:country-detail": e("/api/v1/countries/UGA/", ALL),
    "api:occupation-list": e("/api/v1/occupations/", ALL),
    "api:organisation-type-list": e("/api/v1/organisation-types/", ALL),
    "api:purpose-code-list": e("/api/v1/purpose-codes/", ALL),
    "api:specialty-list": e("/api/v1/specialties/", ALL),
    "api:delivery-method-list": e("/api/v1/delivery-methods/", ALL),
    "api:institution-list": e("/api/v1/institutions/", ALL),
    "api:institution-detail": e("/api/v1/institutions/{institution}/", ALL),
    "api:partnership-list": e("/api/v1/partnerships/", ALL),
    "api:partnership-detail": e("/api/v1/partnerships/{a}/", ALL),
    "api:partnership-summary": e("/api/v1/partnerships/{a}/summary/", ALL),
    "api:person-list": e("/api/v1/people/", ALL, "empty for the public"),
    "api:person-detail#draft": e(
        "/api/v1/people/{draft_person}/",
        "404 404 404 404 404 200  404 404 200",
        "a consenting person whose only partnership is a draft: hub admins only",
    ),
    "person-detail#draft": e(
        "/people/{draft_person}/",
        "302 404 404 404 404 200  404 404 200",
        "a consenting person whose only partnership is a draft: hub admins only",
    ),
    "api:person-detail": e("/api/v1/people/{person}/", "404 200 200 404 200 200  200 200 200"),
    "api:stay-list": e("/api/v1/stays/", ALL),
    "api:stay-detail": e("/api/v1/stays/{stay}/", "404 200 200 404 200 200  200 200 200"),
    "api:stay-sessions": e(
        "/api/v1/stays/{stay}/sessions/", "401 403 403 404 400 400  403 400 400", "PUT [] (replace)", "PUT"
    ),
    "api:tie-list": e("/api/v1/ties/", ALL),
    "api:tie-detail": e("/api/v1/ties/{tie}/", "404 200 200 404 200 200  200 200 200"),
    "api:activity-list": e("/api/v1/activities/", ALL),
    "api:activity-detail": e("/api/v1/activities/{activity}/", ALL),
    "api:trainee-list": e("/api/v1/trainees/", ALL),
    "api:trainee-detail": e("/api/v1/trainees/{trainee}/", "404 200 200 404 200 200  200 200 200"),
    "api:aggregate-trainee-list": e("/api/v1/aggregate-trainees/", ALL),
    "api:aggregate-trainee-detail": e("/api/v1/aggregate-trainees/{aggregate}/", ALL),
    "api:assessment-list": e("/api/v1/assessments/", ALL),
    "api:assessment-detail": e("/api/v1/assessments/{assessment}/", "404 200 200 404 200 200  200 200 200"),
    "api:outcome-list": e("/api/v1/outcomes/", ALL),
    "api:outcome-detail": e("/api/v1/outcomes/{outcome}/", "404 200 200 404 200 200  200 200 200"),
    "api:knowledge-item-list": e("/api/v1/knowledge-items/", ALL),
    "api:knowledge-item-detail": e("/api/v1/knowledge-items/{knowledge}/", ALL),
    "api:cost-list": e("/api/v1/costs/", ALL),
    "api:cost-detail": e("/api/v1/costs/{cost}/", "404 200 200 404 200 200  200 200 200"),
    "api:result-list": e("/api/v1/results/", ALL),
    "api:result-detail": e("/api/v1/results/{result}/", ALL),
    "api:indicator-list": e("/api/v1/indicators/", ALL),
    "api:indicator-detail": e("/api/v1/indicators/{indicator}/", ALL, "results frameworks are public"),
    # API resources added with conditional GETs and token management (details: no such record in the world yet)
    "api:funding-scheme-list": e("/api/v1/funding-schemes/", ALL),
    "api:person-role-list": e("/api/v1/person-roles/", ALL, "people and partnerships the role may see"),
    "api:person-role-detail": e("/api/v1/person-roles/999999/", "404 404 404 404 404 404  404 404 404"),
    "api:cascade-list": e("/api/v1/cascades/", ALL),
    "api:cascade-detail": e("/api/v1/cascades/{cascade}/", "404 200 200 404 200 200  200 200 200"),
    "api:in-kind-list": e("/api/v1/in-kind/", ALL, "as cash costs"),
    "api:in-kind-detail": e("/api/v1/in-kind/{in_kind}/", "404 200 200 404 200 200  200 200 200", "as cash costs"),
    "api:currency-rate-list": e("/api/v1/currency-rates/", ALL),
    "api:currency-rate-detail": e("/api/v1/currency-rates/999999/", "404 404 404 404 404 404  404 404 404"),
    "api:day-rate-list": e("/api/v1/day-rates/", ALL),
    "api:day-rate-detail": e("/api/v1/day-rates/999999/", "404 404 404 404 404 404  404 404 404"),
    "api:memo-list": e("/api/v1/memos/", ALL, "empty unless a member: memos only to A's members"),
    "api:memo-detail": e("/api/v1/memos/999999/", "404 404 404 404 404 404  404 404 404"),
    "api:theme-list": e("/api/v1/themes/", ALL),
    "api:theme-detail": e("/api/v1/themes/none/", "404 404 404 404 404 404  404 404 404"),
    "api:token": e(
        "/api/v1/token/", "401 200 200 200 200 200  200 200 200", "your own token's state; never the key on GET"
    ),
    "api:not-found": e(
        "/api/v1/no-such-thing/", "404 404 404 404 404 404  404 404 404", "JSON 404 for any other API path"
    ),
    "account-token": e("/accounts/token/", SIGNED_IN, "your own API token"),
    # Routes of apps being built in this session: enumerated, checked for server errors and leaks; their owners
    # turn each into an e(...) line with objects in the matrix world (tests/security/world.py).
    "outcome-create": e("/activities/{activity}/outcomes/new/", EDIT_A),
    "activity-scores": e("/activities/{activity}/scores/", EDIT_A, "the class's test scores as one grid"),
    "knowledge-create": e("/activities/{activity}/knowledge/new/", EDIT_A),
    "knowledge-edit": e("/knowledge/{knowledge}/edit/", EDIT_A),
    "cascade-create": e("/activities/{activity}/cascades/new/", EDIT_A),
    "cascade-edit": e("/cascades/{cascade}/edit/", EDIT_A),
    "cost-create": e("/partnerships/{a}/costs/new/", EDIT_A),
    "cost-edit": e("/costs/{cost}/edit/", EDIT_A),
    "in-kind-create": e("/partnerships/{a}/in-kind/new/", EDIT_A),
    "in-kind-edit": e("/in-kind/{in_kind}/edit/", EDIT_A),
    "indicator-edit": e("/indicators/{indicator}/edit/", EDIT_A),
    "period-create": e("/indicators/{indicator}/periods/new/", EDIT_A),
    "period-edit": e("/periods/{period}/edit/", EDIT_A),
    "service-worker": e("/sw.js", ALL, "keeps the offline forms and static files; no data"),
    "pick-institutions": e("/pick/institutions/?q=matrix", ALL, "the registry is public"),
    "pick-partnerships": e("/pick/partnerships/?q=Matrix", ALL, "partnerships the role may see"),
    "pick-people": e("/pick/people/?q=Sentinel", SIGNED_IN, "options among people one may edit (none for readers)"),
    "pick-stays": e(
        "/pick/stays/?partnership={a}&multi=stays&q=2", SIGNED_IN, "boxes only where the user keeps the records"
    ),
    "tie-create": e("/people/{person}/ties/new/", "302 404 404 404 200 200  404 200 200", "people one may edit"),
    "rates": e("/rates/", ALL, "cost rate tables"),
    "rate-create": e("/rates/day/new/ /rates/currency/new/", "302 403 403 403 403 200  403 403 200", "hub admins only"),
    "rate-edit": e("/rates/day/999999/", "302 403 403 403 403 404  403 403 404", "hub admins only"),
    "comparator-create": e("/comparators/new/", "302 403 403 403 403 200  403 403 200", "hub admins only"),
    "comparator-edit": e("/comparators/999999/", "302 403 403 403 403 404  403 403 404", "hub admins only"),
    "programme-list": e("/programmes/", ALL),
    "programme-create": e("/programmes/new/", "302 403 403 200 200 200  200 200 200", "coordinators and hub admins"),
    "dhis2-mapping": e("/programmes/dhis2-mapping/", "302 403 403 403 403 200  403 403 200", "hub admins only"),
    "programme-detail": e("/programmes/{programme}/", ALL, "programmes holding a visible partnership"),
    "programme-edit": e("/programmes/{programme}/edit/", EDIT_A, "coordinators of one of its partnerships"),
    "programme-targets": e("/programmes/{programme}/targets/", EDIT_A, "coordinators of one of its partnerships"),
    "programme-export": e(
        "/programmes/{programme}/rollup.csv /programmes/{programme}/rollup.xlsx /programmes/{programme}/rollup.adx "
        "/programmes/{programme}/rollup.dhis2",
        ALL,
        "roll-up of the partnerships the user sees",
    ),
    "project-list": e("/projects/", ALL),
    "project-detail": e("/projects/{project}/", ALL, "projects of visible partnerships"),
    "partnership-iati": e("/partnerships/{a}/iati.xml", ALL, "published fields only"),
    "iati-import": e("/import/iati/", "302 403 403 200 200 200  200 200 200", "coordinators and hub admins"),
    "iati-partnership": e("/iati/partnerships/{a}.xml", ALL, "IATI file: published partnerships, public"),
    "iati-partnership#draft": e(
        "/iati/partnerships/{draft}.xml", "404 404 404 404 404 404  404 404 404", "drafts are never published"
    ),
    "iati-all": e("/iati/all.xml", ALL, "every published partnership"),
    "iati-programme": e("/iati/programmes/{programme}.xml", ALL, "a programme's published partnerships, public"),
    "iati-organisation": e("/iati/organisation.xml", ALL, "the hub's IATI organisation file"),
    "api:project-list": e("/api/v1/projects/", ALL),
    "api:programme-list": e("/api/v1/programmes/", ALL),
    "api:programme-detail": e("/api/v1/programmes/{programme}/", ALL, "programmes holding a visible partnership"),
    "api:programme-rollup": e("/api/v1/programmes/{programme}/rollup/", ALL, "over the partnerships the user sees"),
    "api:project-detail": e("/api/v1/projects/{project}/", ALL, "projects of visible partnerships"),
    "instrument-list": e("/surveys/", SIGNED_IN),
    "instrument-upload": e("/surveys/upload/", "302 403 403 200 200 200  200 200 200", "coordinators and hub admins"),
    "responses-upload": e("/surveys/import/", "302 403 403 200 200 200  200 200 200", "coordinators and hub admins"),
    "instrument-detail": e("/surveys/{instrument}/", SIGNED_IN, "frequencies of the responses the user may read"),
    "instrument-form": e("/surveys/{instrument}/form/", SIGNED_IN, "answers only for your own partnerships"),
    "instrument-export": e("/surveys/{instrument}/responses.csv", SIGNED_IN, "rows the user may read"),
    "instrument-invitations": e(
        "/surveys/{instrument}/invitations/?partnership={a}",
        "302 403 403 200 200 200  200 200 200",
        "links only for partnerships the user keeps",
    ),
    "answer": e("/a/{token}/", ALL, "a survey through a link, no account; nobody's data shown"),
    "openrosa-form-list": e(
        "/openrosa/not-a-token/formList", "403 403 403 403 403 403  403 403 403", "ODK Collect: the API token decides"
    ),
    "openrosa-submission": e(
        "/openrosa/not-a-token/submission", "401 401 401 401 401 401  401 401 401", "the pre-flight; POST below"
    ),
    "openrosa-form": e(
        "/openrosa/not-a-token/forms/{instrument}.xml", "403 403 403 403 403 403  403 403 403", "the API token decides"
    ),
    "openrosa-manifest": e(
        "/openrosa/not-a-token/forms/{instrument}/manifest", "403 403 403 403 403 403  403 403 403", "the API token"
    ),
    "openrosa-media": e(
        "/openrosa/not-a-token/forms/{instrument}/media/itemsets.csv",
        "403 403 403 403 403 403  403 403 403",
        "a choices file: the API token decides, as for its form",
    ),
    "api:instrument-list": e("/api/v1/instruments/", ALL),
    "api:instrument-detail": e(
        "/api/v1/instruments/{instrument}/", "404 200 200 200 200 200  200 200 200", "signed-in users"
    ),
    "api:response-list": e("/api/v1/responses/", ALL, "rows the role may see"),
    "api:response-detail": e(
        "/api/v1/responses/{response}/", "404 200 200 404 200 200  200 200 200", "researchers: no free text"
    ),
    "interview-home": e("/interviews/", SIGNED_IN, "lists only transcripts the user may read"),
    "interview-analysis": e("/interviews/analysis/", SIGNED_IN, "researchers: aggregates, no speakers or titles"),
    "interview-codebook": e("/interviews/codes/", SIGNED_IN),
    "interview-code": e("/interviews/codes/{code}/", SIGNED_IN, "segments; speakers and titles only to readers"),
    "interview-codebook-export": e("/interviews/codebook.qdc", SIGNED_IN),
    "interview-export": e("/interviews/export.qdpx", SIGNED_IN, "transcripts the user may read"),
    "interview-import": e("/interviews/import/", "302 403 403 200 200 200  200 200 200", "coordinators and hub admins"),
    "interview-source-new": e(
        "/interviews/sources/new/", "302 403 403 200 200 200  200 200 200", "coordinators, hub admins"
    ),
    "interview-source": e(
        "/interviews/sources/{source}/", "302 404 200 404 200 200  200 200 200", "A's members and hub admins"
    ),
    "interview-memo": e("/interviews/sources/{source}/memos/", "302 405 405 405 405 405  405 405 405", "POST only"),
    "interview-segment-create": e(
        "/interviews/sources/{source}/segments/",
        "302 404 400 404 400 400  400 400 400",
        "coding: A's members; 400 no code",
        "POST",
    ),
    "interview-segment-delete": e(
        "/interviews/segments/{segment}/delete/", "302 405 405 405 405 405  405 405 405", "POST only"
    ),
    "interview-speaker": e(
        "/interviews/sources/{source}/speakers/", "302 405 405 405 405 405  405 405 405", "POST only"
    ),
    "api:code-list": e("/api/v1/codes/", ALL, "empty for the public"),
    "api:code-detail": e("/api/v1/codes/{code}/", "404 200 200 200 200 200  200 200 200"),
    "api:segment-list": e("/api/v1/segments/", ALL, "researchers: no speakers"),
    "api:segment-detail": e("/api/v1/segments/{segment}/", "404 200 200 404 200 200  200 200 200"),
    "api:source-list": e("/api/v1/sources/", ALL, "empty unless a member"),
    "api:source-detail": e("/api/v1/sources/{source}/", "404 404 200 404 200 200  200 200 200"),
    "evidence-list": e("/evidence/", ALL, "published literature; links to visible partnerships only"),
    "evidence-detail": e("/evidence/{reference}/", ALL),
    "evidence-export": e("/evidence/export.ris /evidence/export.bib", ALL),
    "evidence-coauthors": e(
        "/evidence/{reference}/coauthors/",
        "302 403 403 403 200 200  403 200 200",
        "authors matched to the people one may edit (coordinators, hub admins)",
    ),
    "evidence-import": e("/evidence/import/", "302 403 403 200 200 200  200 200 200", "who may start a partnership"),
    "api:reference-list": e("/api/v1/references/", ALL),
    "api:reference-detail": e("/api/v1/references/{reference}/", ALL),
    "analytics-mobility": e("/analytics/mobility/", ALL, "aggregates of visible partnerships only"),
    "analytics-network": e("/analytics/network/", ALL, "brokers' pseudonymous ids only to those who may see them"),
    "analytics-impact": e("/analytics/impact/", ALL, "aggregates of visible partnerships only"),
    "analytics-vfm": e("/analytics/value-for-money/", ALL, "aggregates of visible partnerships only"),
    "analytics-typology": e("/analytics/typology/", ALL, "aggregates of visible partnerships only"),
    "who-works-where": e("/who-works-where/", ALL, "published partnerships for the public"),
    "planner-backtest": e("/analytics/planner/backtest/", SIGNED_IN, "coverage figures of visible partnerships"),
    "plans": e("/partnerships/{a}/plans/", "302 403 200 403 200 200  200 200 200", "members of the partnership"),
    "plans-pdf": e(
        "/partnerships/{a}/plans/report.pdf", "302 403 200 403 200 200  200 200 200", "the plans page's readers"
    ),
    "plan-create": e("/partnerships/{a}/plans/new/", EDIT_A),
    "plan-edit": e("/partnerships/{a}/plans/{plan}/edit/", EDIT_A),
    "plan-delete": e("/partnerships/{a}/plans/{plan}/delete/", "302 405 405 405 405 405  405 405 405", "POST only"),
    "api:analytics-mobility-list": e("/api/v1/analytics/mobility/", ALL),
    "api:analytics-network-list": e("/api/v1/analytics/network/", ALL),
    "api:analytics-impact-list": e("/api/v1/analytics/impact/", ALL),
    "api:analytics-vfm-list": e("/api/v1/analytics/value-for-money/", ALL),
    "api:analytics-typology-list": e("/api/v1/analytics/typology/", ALL),
    "api:analytics-retention-list": e(
        "/api/v1/analytics/retention/ /api/v1/analytics/retention/?format=csv",
        ALL,
        "retention over the people and partnerships the role may see (empty for the public)",
    ),
    "api:stay-readiness-list": e(
        "/api/v1/stays/{stay}/readiness/", "404 404 200 404 200 200  200 200 200", "the stay's checklist: its readers"
    ),
    "api:stay-readiness-detail": e(
        "/api/v1/stays/{stay}/readiness/{readiness_item}/",
        "404 404 200 404 200 200  200 200 200",
        "one item of the stay's checklist: its readers",
    ),
    "api:readiness-item-list": e("/api/v1/readiness-items/", ALL, "the hub's checklist: signed-in users"),
    "api:readiness-item-detail": e(
        "/api/v1/readiness-items/{readiness_item}/", "404 200 200 200 200 200  200 200 200", "signed-in users"
    ),
    "api:readiness-list": e("/api/v1/readiness/", ALL, "overview of one's own partnerships (hub admins: all)"),
    "api:career-record-list": e("/api/v1/career-records/", ALL, "records of the people one may see"),
    "api:career-record-detail": e(
        "/api/v1/career-records/{career_record}/",
        "404 200 200 404 200 200  200 200 200",
        "researchers: consenting people, without the note",
    ),
    "api:plan-list": e("/api/v1/plans/", ALL, "plans of one's own partnerships (empty otherwise)"),
    "api:plan-detail": e("/api/v1/plans/{plan}/", "404 404 200 404 200 200  200 200 200", "A's members"),
    "api:plan-simulate": e(
        "/api/v1/plans/{plan}/simulate/", "404 404 200 404 200 200  200 200 200", "A's members; seeded"
    ),
    "api:plan-compare": e(
        "/api/v1/plans/compare/?plans={plan}",
        "404 404 200 404 200 200  200 200 200",
        "plans one may read; another's: 404 no such plan",
    ),
    "analytics-report": e("/analytics/report/", "302 302 302 302 302 302  302 302 302", "queues a report task", "POST"),
    "task-list": e("/tasks/", SIGNED_IN, "your own tasks; hub admins all"),
    "task-detail": e(
        "/tasks/999999/", "302 404 404 404 404 404  404 404 404", "tasks/test_tasks.py: owner and hub admin only"
    ),
    "task-status": e("/tasks/999999/status/", "302 404 404 404 404 404  404 404 404", "owner and hub admin only"),
    "task-download": e("/tasks/999999/download/", "302 404 404 404 404 404  404 404 404", "owner and hub admin only"),
    "task-rerun": e("/tasks/999999/rerun/", "302 404 404 404 404 404  404 404 404", "owner and hub admin only", "POST"),
}


def walk(
    patterns: list[URLPattern | URLResolver] | None = None, ns: str = "", prefix: str = ""
) -> Iterator[tuple[str, str]]:
    """(name, route) of every URL pattern, recursing into includes; admin pages count as one route."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            space = ns + (f"{p.namespace}:" if p.namespace else "")
            if space == "admin:":
                yield "admin:*", prefix + str(p.pattern)
                continue
            yield from walk(p.url_patterns, space, prefix + str(p.pattern))
        else:
            yield (ns + p.name if p.name else prefix + str(p.pattern)), prefix + str(p.pattern)


def routes() -> dict[str, str]:
    found: dict[str, str] = {}
    for name, route in walk():  # a matrix line "name#case" is one more case of the route "name"
        found.setdefault(name, route)
    return found


# Writes: every write method of every API resource that accepts writes, and the web forms that write, as every
# role. Each request runs in a transaction that is rolled back, so one role's accepted write never changes what
# the next role meets. Codes: 200/201/204 accepted; 400 refused by validation (a partnership the user does not
# coordinate is named in the error); 401/403 refused; 404 the record is hidden from that role.


@dataclass(frozen=True)
class Write:
    method: str
    path: str
    body: Any
    codes: tuple[int, ...]
    note: str = ""


def w(method: str, path: str, body: Any, codes: str, note: str = "") -> Write:
    values = tuple(int(c) for c in codes.split())
    assert len(values) == len(ROLES), path
    return Write(method, path, body, values, note)


NEW_STAY = {
    "person": "{person}",
    "partnership": "{a}",
    "host_institution": "{institution}",
    "mode": "physical",
    "start_date": "2017-03-01",
    "end_date": "2017-03-20",
}
NEW_ACTIVITY = {
    "partnership": "{a}",
    "title": "Matrix write",
    "kind": "training_course",
    "mode": "in_person",
    "start_date": "2017-01-10",
    "end_date": "2017-01-11",
}
NEW_OUTCOME = {
    "activity": "{activity}",
    "person": "{person}",
    "level": 1,
    "dimension": "satisfaction",
    "rating": 4,
    "recorded_on": "2017-02-01",
}
NEW_INSTITUTION = {"name": "Matrix New Clinic", "country": "KEN", "kind": "hospital", "city": "Kisumu"}
NEW_PARTNERSHIP = {
    "name": "Matrix Partnership A",
    "start_date": "2015-01-01",
    "members": [
        {"institution": "{institution}", "role": "lead"},
        {"institution": "{b_institution}", "role": "partner"},
    ],
}
PERSON_CHANGE = {"email": "changed@example.org", "research_consent": True}

WRITES: dict[str, Write] = {
    "api person create": w(
        "POST",
        "/api/v1/people/",
        {"partnership": "{a}", "role": "trainee", "external_id": "MATRIX-NEW", "given_name": "New"},
        "401 403 403 400 201 201  400 201 201",
        "in a partnership the user coordinates",
    ),
    "api person patch": w(
        "PATCH", "/api/v1/people/{person}/", PERSON_CHANGE, "401 403 403 404 200 200  403 200 200", "A's person"
    ),
    "api person put": w(
        "PUT",
        "/api/v1/people/{person}/",
        {"external_id": "SENTINEL-EXT-1", "sex": "female", **PERSON_CHANGE},
        "401 403 403 404 200 200  403 200 200",
    ),
    "api person delete": w(
        "DELETE", "/api/v1/people/{person}/", {}, "401 403 403 404 204 204  403 204 204", "soft: kept and hidden"
    ),
    "api stay create": w("POST", "/api/v1/stays/", NEW_STAY, "401 403 403 400 201 201  400 201 201"),
    "api stay patch": w("PATCH", "/api/v1/stays/{stay}/", {"notes": "changed"}, "401 403 403 404 200 200  403 200 200"),
    "api stay put": w("PUT", "/api/v1/stays/{stay}/", NEW_STAY, "401 403 403 404 200 200  403 200 200"),
    "api stay delete": w("DELETE", "/api/v1/stays/{stay}/", {}, "401 403 403 404 204 204  403 204 204"),
    "api stay move to B": w(
        "PATCH",
        "/api/v1/stays/{stay}/",
        {"partnership": "{b}"},
        "401 403 403 404 400 200  403 400 200",
        "moving a record needs both partnerships",
    ),
    "api activity create": w("POST", "/api/v1/activities/", NEW_ACTIVITY, "401 403 403 400 201 201  400 201 201"),
    "api activity patch": w(
        "PATCH",
        "/api/v1/activities/{activity}/",
        {"title": "changed"},
        "401 403 403 403 200 200  403 200 200",
        "published activities are public: refused, not hidden",
    ),
    "api activity delete": w("DELETE", "/api/v1/activities/{activity}/", {}, "401 403 403 403 204 204  403 204 204"),
    "api outcome create": w("POST", "/api/v1/outcomes/", NEW_OUTCOME, "401 403 403 400 201 201  400 201 201"),
    "api outcome patch": w(
        "PATCH", "/api/v1/outcomes/{outcome}/", {"rating": 3}, "401 403 403 404 200 200  403 200 200"
    ),
    "api indicator create": w(
        "POST",
        "/api/v1/indicators/",
        {
            "partnership": "{a}",
            "result_level": 1,
            "result_title": "Matrix skilled staff",
            "library_code": "TRN-01",
            "start": "2017-01-01",
            "end": "2017-12-31",
            "target": "10",
            "targets": [{"dimension": "sex", "category": "female", "target": "6"}],
        },  # fmt: skip
        "401 403 403 400 201 201  400 201 201",
    ),
    "api indicator delete": w(
        "DELETE", "/api/v1/indicators/{indicator}/", {}, "401 403 403 403 204 204  403 204 204", "public: refused"
    ),
    "api outcome delete": w("DELETE", "/api/v1/outcomes/{outcome}/", {}, "401 403 403 404 204 204  403 204 204"),
    # Records kept under an activity: its partnership's coordinators (and hub admins). Coordinators of B are
    # refused by validation on create (the activity is named) and do not see A's person-level rows.
    **{
        f"api {name} {verb}": w(method, path, body, codes)
        for name, path, detail, body, change, put, hidden in [
            (
                "trainee",
                "/api/v1/trainees/",
                "{trainee}",
                {"activity": "{activity}", "person": "{mentor}", "facility_level": "district"},
                {"completed": False},
                {
                    "activity": "{activity}",
                    "person": "{person}",
                    "facility_level": "regional",
                    "completed": True,
                },  # fmt: skip
                "404",
            ),
            (
                "aggregate trainees",
                "/api/v1/aggregate-trainees/",
                "{aggregate}",
                {"activity": "{activity}", "sex": "male", "facility_level": "district", "count": 5},
                {"count": 7},
                {"activity": "{activity}", "sex": "female", "facility_level": "district", "count": 4},  # fmt: skip
                "403",
            ),
            (
                "assessment",
                "/api/v1/assessments/",
                "{assessment}",
                {"activity": "{activity}", "person": "{mentor}", "pre_score": "50", "post_score": "70"},
                {"post_score": "90"},
                {"activity": "{activity}", "person": "{person}", "pre_score": "30", "post_score": "90"},  # fmt: skip
                "404",
            ),
            (
                "knowledge item",
                "/api/v1/knowledge-items/",
                "{knowledge}",
                {"activity": "{activity}", "title": "Matrix checklist", "kind": "protocol", "direction": "south_south"},
                {"stage": 2, "adaptation": "translated into Luganda"},
                {
                    "activity": "{activity}",
                    "title": "Matrix protocol",
                    "kind": "protocol",
                    "direction": "north_south",
                },  # fmt: skip
                "403",
            ),
            (
                "cascade",
                "/api/v1/cascades/",
                "{cascade}",
                {"activity": "{activity}", "person": "{mentor}", "people_trained": 6, "reported_on": "2017-01-01"},
                {"people_trained": 9},
                {
                    "activity": "{activity}",
                    "person": "{person}",
                    "people_trained": 5,
                    "reported_on": "2016-06-01",
                },  # fmt: skip
                "404",
            ),
            (
                "cost",
                "/api/v1/costs/",
                "{cost}",
                {
                    "partnership": "{a}",
                    "category": "travel",
                    "amount": "120.50",
                    "currency": "gbp",
                    "spent_on": "2017-01-01",
                },  # fmt: skip
                {"amount": "130"},
                {
                    "partnership": "{a}",
                    "category": "travel",
                    "amount": "510",
                    "currency": "GBP",
                    "spent_on": "2016-01-01",
                },  # fmt: skip
                "404",
            ),
            (
                "in-kind",
                "/api/v1/in-kind/",
                "{in_kind}",
                {
                    "partnership": "{a}",
                    "kind": "other",
                    "value": "300",
                    "currency": "USD",
                    "received_on": "2017-01-01",
                    "valuation_method": "invoice",
                },  # fmt: skip
                {"value": "350"},
                {
                    "partnership": "{a}",
                    "kind": "donated_equipment",
                    "value": "260",
                    "currency": "GBP",
                    "received_on": "2016-03-01",
                    "valuation_method": "invoice",
                },  # fmt: skip
                "404",
            ),
            (
                "tie",
                "/api/v1/ties/",
                "{tie}",
                {"person_a": "{person}", "person_b": "{mentor}", "kind": "co_trainers"},
                {"source": "changed"},
                {
                    "person_a": "{mentor}",
                    "person_b": "{person}",
                    "kind": "mentor_mentee",
                    "source": "matrix",
                },  # fmt: skip
                "404",
            ),
        ]
        for verb, method, path, body, codes in [
            ("create", "POST", path, body, "401 403 403 400 201 201  400 201 201"),
            ("patch", "PATCH", f"{path}{detail}/", change, f"401 403 403 {hidden} 200 200  403 200 200"),
            ("put", "PUT", f"{path}{detail}/", put, f"401 403 403 {hidden} 200 200  403 200 200"),
            ("delete", "DELETE", f"{path}{detail}/", {}, f"401 403 403 {hidden} 204 204  403 204 204"),
        ]
    },
    "api partnership patch": w(
        "PATCH", "/api/v1/partnerships/{a}/", {"summary": "changed"}, "401 403 403 403 200 200  403 200 200"
    ),
    "api institution patch": w(
        "PATCH",
        "/api/v1/institutions/{b_institution}/",
        {"city": "Kisumu"},
        "401 403 403 200 403 200  200 403 200",
        "an institution follows the partnerships it is in (Kenyan: B only)",
    ),
    "api activity put": w(
        "PUT", "/api/v1/activities/{activity}/", NEW_ACTIVITY, "401 403 403 403 200 200  403 200 200"
    ),
    "api institution create": w(
        "POST",
        "/api/v1/institutions/",
        NEW_INSTITUTION,
        "401 403 403 201 201 201  201 201 201",
        "no partnership yet: coordinators and hub admins",
    ),
    "api institution put": w(
        "PUT",
        "/api/v1/institutions/{b_institution}/",
        NEW_INSTITUTION,
        "401 403 403 200 403 200  200 403 200",
        "the Kenyan institution is in B only",
    ),
    "api outcome put": w("PUT", "/api/v1/outcomes/{outcome}/", NEW_OUTCOME, "401 403 403 404 200 200  403 200 200"),
    "api partnership create": w(
        "POST",
        "/api/v1/partnerships/",
        NEW_PARTNERSHIP,
        "401 403 403 201 201 201  201 201 201",
        "no partnership yet: coordinators and hub admins",
    ),
    "api partnership put": w(
        "PUT", "/api/v1/partnerships/{a}/", NEW_PARTNERSHIP, "401 403 403 403 200 200  403 200 200"
    ),
    "api stay sessions put": w(
        "PUT",
        "/api/v1/stays/{stay}/sessions/",
        [{"date": "2016-01-05", "hours": "2"}],
        "401 403 403 404 400 400  403 400 400",
        "400: sessions are for virtual stays (checked after the permission)",
    ),
    "api stay readiness put": w(
        "PUT",
        "/api/v1/stays/{stay}/readiness/{readiness_item}/",
        {"done_on": "2016-01-02", "note": "Matrix policy 123"},
        "401 404 403 404 200 200  403 200 200",
        "A's coordinators record the stay's checks; A's members read them",
    ),
    "api stay readiness patch": w(
        "PATCH",
        "/api/v1/stays/{stay}/readiness/{readiness_item}/",
        {"note": "Matrix policy 456"},
        "401 404 403 404 200 200  403 200 200",
    ),
    "api readiness item create": w(
        "POST",
        "/api/v1/readiness-items/",
        {"name": "Matrix visa"},
        "401 403 403 403 403 201  403 403 201",
        "hub admins",
    ),
    "api readiness item patch": w(
        "PATCH",
        "/api/v1/readiness-items/{readiness_item}/",
        {"position": 5},
        "401 403 403 403 403 200  403 403 200",
        "hub admins",
    ),
    "api readiness item put": w(
        "PUT",
        "/api/v1/readiness-items/{readiness_item}/",
        {"name": "Matrix indemnity", "evidence_needed": True},
        "401 403 403 403 403 200  403 403 200",
    ),
    "api readiness item delete": w(
        "DELETE",
        "/api/v1/readiness-items/{readiness_item}/",
        {},
        "401 403 403 403 403 400  403 403 400",
        "hub admins; 400: recorded for a stay (take it out of use instead)",
    ),
    "api career record create": w(
        "POST",
        "/api/v1/career-records/",
        {"person": "{person}", "recorded_on": "2018-01-01", "status": "promoted"},
        "401 403 403 400 201 201  400 201 201",
        "those who may edit the person",
    ),
    "api career record patch": w(
        "PATCH",
        "/api/v1/career-records/{career_record}/",
        {"post": "Matrix head nurse"},
        "401 403 403 404 200 200  403 200 200",
    ),
    "api career record put": w(
        "PUT",
        "/api/v1/career-records/{career_record}/",
        {"person": "{person}", "recorded_on": "2017-03-01", "status": "changed_post"},
        "401 403 403 404 200 200  403 200 200",
    ),
    "api career record delete": w(
        "DELETE", "/api/v1/career-records/{career_record}/", {}, "401 403 403 404 204 204  403 204 204"
    ),
    "api plan create": w(
        "POST",
        "/api/v1/plans/",
        {
            "partnership": "{a}",
            "name": "Matrix API plan",
            "years": 2,
            "lines": [{"mode": "physical", "per_year": 2, "days": 14, "volunteers": 2}],
        },
        "401 403 403 400 201 201  400 201 201",
        "in a partnership the user coordinates",
    ),
    "api plan patch": w(
        "PATCH", "/api/v1/plans/{plan}/", {"budget": "5000"}, "401 404 403 404 200 200  403 200 200", "A's members read"
    ),
    "api plan put": w(
        "PUT",
        "/api/v1/plans/{plan}/",
        {"partnership": "{a}", "name": "Matrix plan", "years": 1, "lines": [{"mode": "virtual", "per_year": 6}]},
        "401 404 403 404 200 200  403 200 200",
    ),
    "api plan delete": w("DELETE", "/api/v1/plans/{plan}/", {}, "401 404 403 404 204 204  403 204 204"),
    "api token create": w("POST", "/api/v1/token/", {}, "401 201 201 201 201 201  201 201 201", "one's own token"),
    "api token delete": w("DELETE", "/api/v1/token/", {}, "401 204 204 204 204 204  204 204 204", "one's own token"),
    "web partnership create": w(
        "POST", "/partnerships/new/", {}, "302 403 403 200 200 200  200 200 200", "200: the form again, with its errors"
    ),
    "web institution create": w("POST", "/institutions/new/", {}, "302 403 403 200 200 200  200 200 200"),
    "web institution edit": w(
        "POST",
        "/institutions/{institution}/edit/",
        {},
        "302 403 403 403 200 200  403 200 200",
        "the Ugandan institution is in A",
    ),
    "web plan create": w("POST", "/partnerships/{a}/plans/new/", {}, "302 403 403 403 200 200  403 200 200"),
    "web plan edit": w("POST", "/partnerships/{a}/plans/{plan}/edit/", {}, "302 403 403 403 200 200  403 200 200"),
    "web plan delete": w("POST", "/partnerships/{a}/plans/{plan}/delete/", {}, "302 403 403 403 302 302  403 302 302"),
    "web assessment create": w(
        "POST", "/partnerships/{a}/assessments/new/", {}, "302 403 403 403 200 200  403 200 200"
    ),
    "web activity create": w("POST", "/partnerships/{a}/activities/new/", {}, "302 403 403 403 200 200  403 200 200"),
    "web outcome create": w("POST", "/activities/{activity}/outcomes/new/", {}, "302 403 403 403 200 200  403 200 200"),
    "web scores": w(
        "POST", "/activities/{activity}/scores/", {}, "302 403 403 403 302 302  403 302 302", "an empty grid saves"
    ),
    "web knowledge create": w(
        "POST",
        "/activities/{activity}/knowledge/new/",
        {"title": "Matrix card", "kind": "protocol", "direction": "north_south", "stage": "1"},
        "302 403 403 403 302 302  403 302 302",
    ),
    "web knowledge edit": w(
        "POST", "/knowledge/{knowledge}/edit/", {"delete": "1"}, "302 403 403 403 302 302  403 302 302", "delete"
    ),
    "web cascade create": w(
        "POST",
        "/activities/{activity}/cascades/new/",
        {"person": "", "people_trained": "3", "reported_on": "2017-01-01"},
        "302 403 403 403 200 200  403 200 200",
        "no trainee chosen: the form again",
    ),
    "web cascade edit": w(
        "POST", "/cascades/{cascade}/edit/", {"delete": "1"}, "302 403 403 403 302 302  403 302 302", "delete"
    ),
    "web cost create": w(
        "POST",
        "/partnerships/{a}/costs/new/",
        {"category": "travel", "amount": "100", "currency": "gbp", "spent_on": "2017-01-01"},
        "302 403 403 403 302 302  403 302 302",
    ),
    "web cost edit": w(
        "POST",
        "/costs/{cost}/edit/",
        {"category": "travel", "amount": "90", "currency": "GBP", "spent_on": "2016-01-01"},
        "302 403 403 403 302 302  403 302 302",
    ),
    "web in-kind create": w("POST", "/partnerships/{a}/in-kind/new/", {}, "302 403 403 403 200 200  403 200 200"),
    "web in-kind edit": w("POST", "/in-kind/{in_kind}/edit/", {"delete": "1"}, "302 403 403 403 302 302  403 302 302"),
    "web stay readiness": w(
        "POST", "/stays/{stay}/readiness/", {}, "302 403 403 404 302 302  403 302 302", "coordinators of A record it"
    ),
    "web readiness item edit": w(
        "POST", "/readiness/items/{readiness_item}/", {}, "302 403 403 403 403 200  403 403 200", "hub admins"
    ),
    "web readiness items": w(
        "POST", "/readiness/items/", {"defaults": "1"}, "302 403 403 403 403 302  403 403 302", "hub admins"
    ),
    "web indicator edit": w(
        "POST", "/indicators/{indicator}/edit/", {"title": "Matrix renamed"}, "302 403 403 403 302 302  403 302 302"
    ),
    "web period create": w(
        "POST",
        "/indicators/{indicator}/periods/new/",
        {"start": "2017-01-01", "end": "2017-12-31", "target": "5"},
        "302 403 403 403 302 302  403 302 302",
    ),
    "web period edit": w("POST", "/periods/{period}/edit/", {"delete": "1"}, "302 403 403 403 302 302  403 302 302"),
    "web career create": w(
        "POST",
        "/people/{person}/careers/new/",
        {"recorded_on": "2024-01-01", "status": "in_post"},
        "302 403 403 404 302 302  403 302 302",
        "coordinators of the person",
    ),
    "web person edit": w(
        "POST",
        "/people/{person}/edit/",
        {"given_name": "Sentinel-Name", "sex": "female", "external_id": "SENTINEL-EXT-1", "research_consent": "on"},
        "302 404 404 404 302 302  404 302 302",
    ),
    "web outcome edit": w(
        "POST", "/outcomes/{outcome}/edit/", {"delete": "1"}, "302 403 403 403 302 302  403 302 302", "delete"
    ),
    "web tie delete": w("POST", "/ties/{tie}/delete/", {}, "302 403 403 404 302 302  403 302 302"),
    "web stays bulk": w(
        "POST",
        "/partnerships/{a}/stays/bulk/",
        {"action": "funding", "scope": "all", "funding": "partnership"},
        "302 403 403 403 302 302  403 302 302",
        "set the funding of every stay that matches",
    ),
    "web outcomes bulk": w(
        "POST",
        "/activities/{activity}/outcomes/bulk/",
        {"action": "export", "selected": "{outcome}"},
        "302 403 403 403 200 200  403 200 200",
        "A's coordinators; a published activity is visible, so refused rather than hidden",
    ),
    "web people bulk": w(
        "POST",
        "/people/bulk/",
        {"action": "sex", "sex": "female", "selected": "{person}"},
        "302 302 302 302 302 302  302 302 302",
        "back to the list; acts only on people one may change (tests/web/test_people_bulk.py)",
    ),
    "web activities bulk": w(
        "POST",
        "/activities/bulk/",
        {"action": "delete", "selected": "{activity}"},
        "302 302 302 302 302 302  302 302 302",
        "back to the list; acts only on activities one may change (tests/web/test_activities_bulk.py)",
    ),
    "web tie create": w(
        "POST",
        "/people/{person}/ties/new/",
        {"kind": "co_authors", "other": "", "direction": "out"},
        "302 404 404 404 200 200  404 200 200",
        "no other person chosen: the form again",
    ),
    "web results": w(
        "POST",
        "/partnerships/{a}/results/",
        {},
        "200 200 200 200 200 200  200 200 200",
        "the page again: only A's coordinators get the form, and only theirs is saved",
    ),
    "web import": w(
        "POST",
        "/import/",
        {},
        "302 403 403 200 200 200  200 200 200",
        "each row is checked against the user's partnerships",
    ),
    "web iati import": w(
        "POST", "/import/iati/", {}, "302 403 403 200 200 200  200 200 200", "the file's partnership is checked"
    ),
    "web survey upload": w("POST", "/surveys/upload/", {}, "302 403 403 200 200 200  200 200 200"),
    "web survey responses upload": w("POST", "/surveys/import/", {}, "302 403 403 200 200 200  200 200 200"),
    "web survey form": w(
        "POST", "/surveys/{instrument}/form/", {}, "302 200 200 200 200 200  200 200 200", "answering a survey"
    ),
    "web survey invitations": w(
        "POST", "/surveys/{instrument}/invitations/", {}, "302 403 403 200 200 200  200 200 200", "coordinators"
    ),
    "web survey answer through a link": w("POST", "/a/{token}/", {}, ALL, "anyone with the link"),
    "openrosa submission": w(
        "POST", "/openrosa/not-a-token/submission", {}, "403 403 403 403 403 403  403 403 403", "the API token decides"
    ),
    "web rate create": w("POST", "/rates/day/new/", {}, "302 403 403 403 403 200  403 403 200", "hub admins"),
    "web rate edit": w("POST", "/rates/day/{day_rate}/", {}, "302 403 403 403 403 200  403 403 200", "hub admins"),
    "web comparator create": w("POST", "/comparators/new/", {}, "302 403 403 403 403 200  403 403 200", "hub admins"),
    "web comparator edit": w(
        "POST", "/comparators/{comparator}/", {}, "302 403 403 403 403 200  403 403 200", "hub admins"
    ),
    "web programme create": w("POST", "/programmes/new/", {}, "302 403 403 200 200 200  200 200 200", "coordinators"),
    "web programme edit": w("POST", "/programmes/{programme}/edit/", {}, EDIT_A, "coordinators of its partnerships"),
    "web programme targets": w("POST", "/programmes/{programme}/targets/", {}, EDIT_A, "as the programme's editors"),
    "web dhis2 mapping": w(
        "POST", "/programmes/dhis2-mapping/", {}, "302 403 403 403 403 200  403 403 200", "hub admins"
    ),
    "web interview source create": w(
        "POST",
        "/interviews/sources/new/",
        {},
        "302 403 403 200 200 200  200 200 200",
        "the partnership chosen is checked",
    ),
    "web interview segment create": w(
        "POST",
        "/interviews/sources/{source}/segments/",
        {},
        "302 404 400 404 400 400  400 400 400",
        "A's members code A's transcripts (400: empty form)",
    ),
    "web interview memo": w(
        "POST",
        "/interviews/sources/{source}/memos/",
        {},
        "302 404 302 404 302 302  302 302 302",
        "A's members write memos",
    ),
    "web interview speaker": w(
        "POST",
        "/interviews/sources/{source}/speakers/",
        {},
        "302 404 403 404 302 302  403 302 302",
        "describing speakers: A's coordinators",
    ),
    "web interview segment delete": w(
        "POST", "/interviews/segments/{segment}/delete/", {}, "302 404 302 404 302 302  302 302 302", "A's members code"
    ),
    "web interview codebook": w(
        "POST",
        "/interviews/codes/",
        {},
        "302 403 403 302 302 302  302 302 302",
        "shared codebook: anyone who may start a partnership",
    ),
    "web interview import": w("POST", "/interviews/import/", {}, "302 403 403 200 200 200  200 200 200"),
    "web evidence links": w(
        "POST",
        "/evidence/{reference}/",
        {},
        "403 403 403 302 302 302  302 302 302",
        "shared library; links only to partnerships one coordinates",
    ),
    "web evidence co-authors": w(
        "POST",
        "/evidence/{reference}/coauthors/",
        {},
        "302 403 403 403 400 400  403 400 400",
        "those who may edit people (B has none); nobody chosen is refused (400)",
    ),
    "web evidence import": w("POST", "/evidence/import/", {}, "302 403 403 200 200 200  200 200 200"),
    "web analytics report": w(
        "POST",
        "/analytics/report/",
        {},
        "302 302 302 302 302 302  302 302 302",
        "queues a report of what the user may see",
    ),
    "web account token": w("POST", "/accounts/token/", {}, "302 200 200 200 200 200  200 200 200", "one's own token"),
    "web erasure": w("POST", "/ops/erasure/", {}, "302 403 403 403 403 200  403 403 200", "hub admins"),
    "web deleted records": w(
        "POST",
        "/ops/deleted/",
        {"action": "delete_person", "key": "{person}"},
        "302 403 403 403 403 302  403 403 302",
        "hub admins",
    ),
    "web user revoke": w(
        "POST", "/ops/users/{victim}/revoke/", {}, "302 403 403 403 403 302  403 403 302", "hub admins"
    ),
    "web task rerun": w(
        "POST",
        "/tasks/999999/rerun/",
        {},
        "302 404 404 404 404 404  404 404 404",
        "no such task; owners and hub admins otherwise",
    ),
    "web partnership edit": w(
        "POST",
        "/partnerships/{a}/edit/",
        {"name": ""},
        "302 403 403 403 200 200  403 200 200",
        "200: the form again, with its errors",
    ),
    "web person create": w(
        "POST",
        "/partnerships/{a}/people/new/",
        {"given_name": "Matrix new", "role": "trainee", "sex": "female"},
        "302 403 403 403 302 302  403 302 302",
        "302: registered, to the person's page",
    ),
    "web activity edit": w(
        "POST",
        "/activities/{activity}/edit/",
        {
            "title": "Matrix edited",
            "kind": "training_course",
            "mode": "in_person",
            "start_date": "2016-01-10",
            "end_date": "2016-01-12",
        },
        "302 403 403 403 302 302  403 302 302",
        "302: saved",
    ),  # fmt: skip
    "web stay edit": w(
        "POST",
        "/stays/{stay}/edit/",
        {"mode": "physical", "host_institution": "{institution}", "start_date": "2016-01-01", "end_date": "2016-02-03"},
        "302 403 403 404 302 302  403 302 302",
        "302: saved; the notes not posted are cleared, as a form's blank field",
    ),
    "web stay create": w(
        "POST",
        "/partnerships/{a}/stays/new/",
        {},
        "302 403 403 403 200 200  403 200 200",
        "200: the form again, with its errors",
    ),
}
