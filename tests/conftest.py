"""Shared fixtures: users of every role and a small registry built through the services."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client

from healthlinks.accounts.models import Role, User
from healthlinks.registry.models import AccessRole, Institution, Partnership, PartnershipAccess, Publication
from healthlinks.registry.services import MemberSpec, institution_create, partnership_create

# Playwright's sync API runs an event loop in the main thread; Django must not refuse DB access for it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure() -> None:
    """Test users' passwords are hashed with a fast hasher: PBKDF2's 1,000,000 rounds were 41% of the suite's time.
    Each test process (each pytest-xdist worker) keeps its files (uploads, task progress, the analyses' cache) in
    a directory of its own, never in the developer's var/. Servers started as subprocesses (production, backup
    tests) keep the real settings."""
    import tempfile
    from pathlib import Path

    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    var = Path(tempfile.mkdtemp(prefix=f"healthlinks-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-"))
    settings.VAR_DIR = var
    settings.MEDIA_ROOT = var / "media"
    for cache in settings.CACHES.values():
        if "FileBasedCache" in cache["BACKEND"]:
            cache["LOCATION"] = str(var / "cache" / Path(cache["LOCATION"]).name)


# Tests of whole processes (servers, workers, backups, the dependency audit), which take minutes: `.ci/run` runs
# the suite twice (SQLite, then PostgreSQL) and each of these once, in the pass where it says most: the faults
# (a killed server or worker, a restarted database) against PostgreSQL, the production database; the others in the
# SQLite pass (the backup test makes its own PostgreSQL database). Run without HEALTHLINKS_TEST_PASS, as `make
# test` alone is, every test runs.
ONCE_PER_RUN = {
    "second": (
        "tests/ops/test_backup_restore.py",
        "tests/security/test_production.py",
        "tests/security/test_dependency_audit.py",
    ),
    "first": ("tests/ops/test_faults.py",),
}


# The longest modules, longest first (seconds on a loaded 2-core machine, docs/benchmarks.md "Test suite"): they
# are collected first so that pytest-xdist (`--dist loadfile --no-loadscope-reorder`, each file on one worker, in
# the order collected) starts them first and the short modules fill in behind them; left to the end, one of them
# is a minute or more with one worker idle. A module not listed keeps its place after these.
SLOW_FIRST = (
    "tests/ops/test_backup_restore.py",  # 369
    "tests/ops/test_faults.py",  # 350
    "tests/security/test_production.py",  # 317
    "tests/demo/test_world.py",  # 316: four S demo worlds
    "tests/test_languages.py",  # 179
    "tests/browser/test_accessibility_sweep.py",  # 163
    "tests/security/test_permission_matrix.py",  # 153
    "tests/analytics/test_stay_conditions.py",  # 147: two S demo worlds
    "tests/fuzz/test_refi_qda_fuzz.py",  # 122
    "tests/browser/test_accessibility_sweep_ar.py",  # 120
    "tests/fuzz/test_bibliography_fuzz.py",  # 92
    "tests/security/test_write_matrix.py",  # 79
    "tests/tasks/test_tasks.py",  # 74
    "tests/planning/test_planner.py",  # 73: an S demo world
    "tests/analytics/test_planted_effects.py",  # 71: an S demo world
    "tests/interchange/iati/test_publish.py",  # 68: an S demo world
    "tests/web/test_query_counts.py",  # 59
    "tests/interviews/test_interview_permissions.py",  # 58
    "tests/fuzz/test_tabular_limits.py",  # 53
    "tests/interviews/test_refi_qda_fixtures.py",  # 51
    "tests/planning/test_planner_null.py",  # 46: an S demo world
    "tests/browser/test_accessibility.py",  # 46
    "tests/fuzz/test_xlsform_limits.py",  # 46
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(SLOW_FIRST)))  # stable: modules stay whole
    skipped = ONCE_PER_RUN.get(os.environ.get("HEALTHLINKS_TEST_PASS", ""), ())
    if not skipped:
        return
    kept, deselected = [], []
    for item in items:
        (deselected if item.nodeid.startswith(skipped) else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(username: str, role: str = Role.MEMBER, **kwargs: Any) -> User:
        user = User.objects.create(username=username, role=role, is_staff=role == Role.HUB_ADMIN, **kwargs)
        user.set_password("Correct-Horse-9")
        user.save()
        return user

    return make


@pytest.fixture
def admin_user(make_user: Callable[..., User]) -> User:
    return make_user("hubadmin", Role.HUB_ADMIN)


@pytest.fixture
def researcher(make_user: Callable[..., User]) -> User:
    return make_user("researcher1", Role.RESEARCHER)


@pytest.fixture
def make_institution(db: Any) -> Callable[..., Institution]:
    counter = {"n": 0}

    def make(country: str = "GBR", **fields: Any) -> Institution:
        counter["n"] += 1
        fields.setdefault("name", f"Institution {counter['n']} {country}")
        fields.setdefault("kind", "hospital")
        return institution_create(by=None, country_id=country, **fields)

    return make


@pytest.fixture
def make_partnership(make_institution: Callable[..., Institution]) -> Callable[..., Partnership]:
    def make(
        name: str = "Test partnership",
        countries: tuple[str, ...] = ("GBR", "UGA"),
        publication: str = Publication.PUBLISHED,
        coordinator: User | None = None,
        member: User | None = None,
        **fields: Any,
    ) -> Partnership:
        members = [
            MemberSpec(institution=make_institution(c), role="lead" if i == 0 else "partner")
            for i, c in enumerate(countries)
        ]
        fields.setdefault("start_date", date(2020, 1, 1))
        tag = "".join(ch for ch in name.lower() if ch.isalnum())
        fields.setdefault("contact_name", f"Dr Private {tag}")
        fields.setdefault("contact_email", f"private.{tag}@example.org")
        fields.setdefault("internal_notes", f"internal note of {tag}")
        p = partnership_create(by=None, members=members, name=name, publication=publication, **fields)
        if coordinator:
            PartnershipAccess.objects.create(user=coordinator, partnership=p, role=AccessRole.COORDINATOR)
        if member:
            PartnershipAccess.objects.create(user=member, partnership=p, role=AccessRole.MEMBER)
        return p

    return make


@pytest.fixture
def client_for() -> Callable[[User | None], Client]:
    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


@pytest.fixture
def network_world(make_partnership, make_user):
    """One partnership (UK lead, Ugandan partner), its coordinator, and two people."""
    from healthlinks.network.services import person_save

    coordinator = make_user("netcoord", Role.COORDINATOR)
    p = make_partnership(name="Leeds Gulu", coordinator=coordinator, start_date=date(2015, 1, 1))
    members = {m.institution.country_id: m.institution for m in p.members.select_related("institution")}
    alice = person_save(
        by=None,
        external_id="A1",
        given_name="Alice",
        family_name="Secretname",
        email="alice@example.org",
        research_consent=True,
        cadre_id="2221",
        sex="female",
    )
    bob = person_save(
        by=None,
        external_id="B1",
        given_name="Bob",
        family_name="Hiddenname",
        email="bob@example.org",
        research_consent=False,
    )
    return {"p": p, "uk": members["GBR"], "ug": members["UGA"], "alice": alice, "bob": bob, "coordinator": coordinator}


@pytest.fixture(autouse=True)
def _no_api_rate_limits(settings: Any) -> None:
    """The API's rate limits count requests per address across tests in one process: off unless a test sets them
    (tests/api/test_throttling.py)."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}


@pytest.fixture(autouse=True)
def _own_analytics_store(settings: Any, tmp_path_factory: Any) -> Any:
    """Stored analysis results (analytics.store, files), their refresh locks and the tasks' progress stay within one
    test (task ids repeat from test to test); the
    PostgreSQL connections the analytics keep are closed after it (the test database is dropped at the end)."""
    from healthlinks import arrow

    location = str(tmp_path_factory.mktemp("analytics-store"))
    progress = str(tmp_path_factory.mktemp("task-progress"))
    settings.CACHES = {
        **settings.CACHES,
        "analytics": {**settings.CACHES["analytics"], "LOCATION": location},
        "tasks": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": progress},
    }
    yield
    arrow.close_idle()


@pytest.fixture(autouse=True)
def _english_unless_asked() -> Any:
    """Each test starts in English: a page answered in another language leaves that language active in the
    thread (LocaleMiddleware activates it), and the next test would read its words in it."""
    from django.utils import translation

    with translation.override("en"):
        yield
