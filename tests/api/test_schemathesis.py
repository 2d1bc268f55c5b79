"""The API against its own OpenAPI schema (schemathesis, in process through the WSGI app, no server).

1. Every operation is fuzzed with all of schemathesis's checks, each generated request sent as anonymous,
   researcher, member, coordinator and hub admin, against a world with a record behind every resource: no 5xx;
   every response has a documented status, content type, headers and body; reads the schema marks as open to the
   public are open and writes it marks as needing a sign-in refuse without one; every schema-valid request is
   accepted and every schema-violating one refused. The one thing a schema cannot say is which records exist: a
   400 that only says a referenced record does not exist is not counted against a valid request.
2. Every read, list and detail of a real record, as each kind of reader (anonymous, researcher, member, hub
   admin): the schema holds for each, including the fields only some roles get."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import CHECKS as REGISTRY
from schemathesis.checks import load_all_checks, not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from healthlinks.wsgi import application

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MISSING_RECORD = re.compile(r"does not exist|^no such ")

# Schemathesis calls the WSGI app directly and reads the body as sent: asked uncompressed (a real client, such as
# requests or R's httr, inflates the gzip the API answers with).
PLAIN = {"Accept-Encoding": "identity"}


def _messages(body: Any) -> list[str]:
    if isinstance(body, str):
        return [body]
    if isinstance(body, dict):
        return [m for value in body.values() for m in _messages(value)]
    if isinstance(body, list):
        return [m for value in body for m in _messages(value)]
    return [repr(body)]


def valid_data_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis's positive_data_acceptance, except for a 400 whose every message says that a referenced record
    does not exist (a schema-valid id or slug of nothing)."""
    if response.status_code == 400:
        try:
            messages = _messages(json.loads(response.content))
        except ValueError:
            messages = []
        if messages and all(MISSING_RECORD.search(m) for m in messages):
            return None
    return positive_data_acceptance(ctx, response, case)


load_all_checks()
ALL_CHECKS = [c for c in REGISTRY.get_all() if c is not positive_data_acceptance] + [valid_data_accepted]
FUZZED_AS = ("public", "researcher", "member", "coordinator", "hub_admin")
# A few examples per operation in the suite; a deeper run: HEALTHLINKS_FUZZ_EXAMPLES=200 HEALTHLINKS_FUZZ_COVERAGE=1
# (the coverage phase adds boundary and invalid values of every parameter) and HEALTHLINKS_FUZZ_SEED.
MAX_EXAMPLES = int(os.environ.get("HEALTHLINKS_FUZZ_EXAMPLES", "5"))
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": int(os.environ.get("HEALTHLINKS_FUZZ_SEED", "7")),
        # NUL is refused in every text (no database column stores it); the schema's strings exclude it.
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none", "mode": "all", "allow-x00": False},
        "phases": {
            "coverage": {"enabled": os.environ.get("HEALTHLINKS_FUZZ_COVERAGE", "") == "1"},
            "stateful": {"enabled": False},
        },
    }
)


def _schema() -> Any:
    raw = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
    loaded = schemathesis.openapi.from_dict(raw, config=CONFIG)
    loaded.app = application
    return loaded


schema = _schema()


@pytest.fixture(scope="module", autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """The real WSGI handler closes the database connection at the end of each request, which would end the test's
    transaction (PostgreSQL); Django's test client does the same as this."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    yield
    for signal in signals:
        signal.connect(close_old_connections)


@pytest.fixture
def world(api_world: dict[str, Any]) -> dict[str, Any]:
    return api_world


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: Any, world: dict[str, Any]) -> None:
    for role in FUZZED_AS:
        token = world["tokens"].get(role)
        auth = {"Authorization": f"Token {token}"} if token else {}
        case.call_and_validate(headers={**auth, **PLAIN}, checks=ALL_CHECKS)


# The world record each detail path shows, by resource (the first segment after /api/v1/).
RECORD = {
    "countries": "iso3", "institutions": "institution", "partnerships": "a", "people": "person",
    "person-roles": "person_role", "stays": "virtual_stay", "ties": "tie", "activities": "activity",
    "trainees": "trainee", "aggregate-trainees": "aggregate", "assessments": "assessment", "outcomes": "outcome",
    "knowledge-items": "knowledge", "cascades": "cascade", "costs": "cost", "in-kind": "in_kind",
    "currency-rates": "currency_rate", "day-rates": "day_rate", "results": "result", "indicators": "indicator",
    "instruments": "instrument",
    "responses": "response", "projects": "project", "codes": "code", "sources": "source", "segments": "segment",
    "memos": "memo", "references": "reference", "themes": "theme", "programmes": "programme",
    "readiness-items": "readiness_item", "career-records": "career_record", "plans": "plan",
}  # fmt: skip
# Path parameters of nested resources: the world record each names, whatever the resource.
PARAMETER = {"stay_pk": "stay", "item": "readiness_item"}
# Query parameters an operation requires, filled from the world.
QUERY = {"/api/v1/plans/compare/": {"plans": "plan"}}
READERS = ("public", "researcher", "member", "hub_admin")


def _reads() -> list[Any]:
    return [
        op
        for result in schema.get_all_operations()
        if (op := result.ok()).method.upper() == "GET" and op.path.startswith("/api/v1/")
    ]


def test_every_read_of_a_real_record_conforms_for_every_reader(world: dict[str, Any], db: Any) -> None:
    tokens = {role: Token.objects.get_or_create(user=user)[0].key for role, user in world["users"].items()}
    statuses: dict[tuple[str, str], int] = {}
    for operation in _reads():
        names = re.findall(r"{(\w+)}", operation.path)
        resource = operation.path.split("/")[3]
        params = {name: world["ids"][PARAMETER.get(name) or RECORD[resource]] for name in names}
        query = {name: str(world["ids"][key]) for name, key in QUERY.get(operation.path, {}).items()}
        for role in READERS:
            headers = {**({"Authorization": f"Token {tokens[role]}"} if role in tokens else {}), **PLAIN}
            case = operation.Case(path_parameters=params, query=query or None)
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses[(operation.path, role)] = response.status_code
    # The reads did read something: the hub admin gets every record, the public what is public.
    assert all(code == 200 for (_path, role), code in statuses.items() if role == "hub_admin"), statuses
    assert statuses[("/api/v1/partnerships/{slug}/", "public")] == 200
    assert statuses[("/api/v1/people/{pseudo_id}/", "public")] == 404
    assert statuses[("/api/v1/sources/{id}/", "researcher")] == 404
    assert statuses[("/api/v1/token/", "public")] in (401, 403)
