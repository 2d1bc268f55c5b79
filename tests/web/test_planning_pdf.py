"""The strategy planner's comparison as a PDF (issue 26 §1): what it holds, read back from the PDF itself; the same
figures as the plans page for the same plans and seed; refused to those who may not read the plans; a clear
message, not an empty PDF, when there is no plan; the reader's language."""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from healthlinks.accounts.models import Role, User
from healthlinks.analytics import engine
from healthlinks.demo.world import world_build
from healthlinks.planning import services
from healthlinks.reference.models import Occupation
from healthlinks.registry.models import AccessRole, Partnership, PartnershipAccess

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    """The text of a WeasyPrint PDF, in drawing order, its whitespace collapsed: each font's glyph codes mapped to
    characters through its ToUnicode map (no PDF library in the project's dependencies)."""
    streams: dict[int, bytes] = {}
    for match in re.finditer(rb"(\d+) 0 obj\s*<<(.*?)>>\s*stream\r?\n", pdf, re.S):
        data = pdf[match.end() : pdf.index(b"endstream", match.end())]
        streams[int(match.group(1))] = zlib.decompress(data) if b"FlateDecode" in match.group(2) else data
    objects = b"".join(streams.values())  # the object streams hold the font dictionaries
    maps: dict[bytes, dict[str, str]] = {}
    for tag, ref in re.findall(rb"/BaseFont /(\w+)\+[^/]*/ToUnicode (\d+) 0 R", objects):
        cmap = streams[int(ref)].decode("latin-1")
        table: dict[str, str] = {}
        for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
            for code, uni in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                table[code.lower()] = bytes.fromhex(uni).decode("utf-16-be")
        for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
            for low, high, uni in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                for offset in range(int(high, 16) - int(low, 16) + 1):
                    table[f"{int(low, 16) + offset:0{len(low)}x}"] = chr(int(uni, 16) + offset)
        maps[tag] = table
    out: list[str] = []
    for data in streams.values():
        if b" Tf" not in data or b"TJ" not in data:
            continue
        table = {}
        for token in re.finditer(rb"/(\w+) [\d.]+ Tf|\[(.*?)\] TJ", data, re.S):
            if token.group(1):
                table = maps.get(token.group(1), {})
                continue
            glyphs = b"".join(re.findall(rb"<([0-9a-fA-F]+)>", token.group(2))).decode().lower()
            out.append("".join(table.get(glyphs[i : i + 4], "") for i in range(0, len(glyphs), 4)))
    return " ".join(" ".join(out).split())


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock(), transaction.atomic():
        world_build(scale="S", seed=1)
        engine.clear()
        a, b = Partnership.objects.order_by("pk")[:2]
        users = {}
        for name, role in (("member", Role.MEMBER), ("coord_a", Role.COORDINATOR), ("coord_b", Role.COORDINATOR)):
            users[name] = User.objects.create(username=f"pdf-{name}", role=role)
        users["researcher"] = User.objects.create(username="pdf-researcher", role=Role.RESEARCHER)
        PartnershipAccess.objects.create(user=users["member"], partnership=a, role=AccessRole.MEMBER)
        PartnershipAccess.objects.create(user=users["coord_a"], partnership=a, role=AccessRole.COORDINATOR)
        PartnershipAccess.objects.create(user=users["coord_b"], partnership=b, role=AccessRole.COORDINATOR)
        b.plans.all().delete()
        cadre = Occupation.objects.order_by("code").first()
        by = users["coord_a"]
        visits = services.plan_save(
            by=by,
            partnership=a,
            name="Four visits",
            years=2,
            budget=Decimal(5000),  # the plan costs 7,200 in cash: over budget
            notes="Two volunteers who return.",
            lines=[{"mode": "physical", "per_year": 4, "days": 14, "volunteers": 2, "cost_per_stay": 900}],
        )
        placement = services.plan_save(
            by=by,
            partnership=a,
            name="Long placement",
            years=2,
            lines=[
                {
                    "mode": "physical",
                    "per_year": 1,
                    "days": 200,
                    "volunteers": 1,
                    "cost_per_stay": 4000,
                    "named_counterpart": True,
                },
                {
                    "mode": "virtual",
                    "per_year": 12,
                    "days": 1,
                    "volunteers": 1,
                    "cadre": cadre,
                    "training_of_trainers": True,
                },
            ],
        )
        yield {"a": a, "b": b, "users": users, "plans": [visits, placement], "cadre": cadre}
        engine.clear()
        transaction.set_rollback(True)


def client(user: User | None, language: str = "en") -> Client:
    out = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        out.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return out


def query(world: dict[str, Any]) -> str:
    return "?" + "&".join(f"plan={plan.pk}" for plan in world["plans"])


def url(partnership: Partnership) -> str:
    return f"/partnerships/{partnership.slug}/plans/report.pdf"


def test_the_pdf_holds_the_plans_their_figures_and_the_assumptions(world: dict[str, Any]) -> None:
    from healthlinks.labels import label

    response = client(world["users"]["member"]).get(url(world["a"]) + query(world))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="healthlinks-plans-{world["a"].slug}.pdf"'
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    for words in (
        f"Strategy planner: {world['a'].name}",
        "2 plans compared.",
        "from 2000 simulations (seed 2026)",
        "Four visits (2 years; budget 5,000",
        "Two volunteers who return.",
        "Long placement (2 years)",
        "Stays in person",
        "Virtual engagement (mentoring, teaching online)",
        label("cadre", world["cadre"].code),
        "(day-rate table)",
        "Health workers reached",
        "Share of those reached who change practice",
        "Go on to train others",
        "Volunteer days",
        "Economic cost per practice change",
        "7,200 over budget",  # 4 stays a year × 2 years × 900
        "Against the first plan, Four visits",
        "What the planner assumes",
        "A volunteer's first stay in the plan counts as a first visit",
    ):
        assert words in text, words
    # the plans in the order of the page; the second against the first, with its interval and in words
    assert text.index("Four visits") < text.index("Long placement")
    against = text.split("Against the first plan")[1]
    assert re.search(r"Long placement [+-]\d+ \([+-]\d+ to [+-]\d+\) [+-]\d+ \([+-]\d+ to [+-]\d+\) (Yes|No)", against)
    assert re.search(r"Long placement: (about \d+ (more|fewer) of every 100|no clear difference)", against)
    # the page's three charts, drawn into the PDF as pictures
    assert len(re.findall(rb"/Subtype /Image/Width \d+", response.content)) == 3


def test_the_figures_are_the_pages_for_the_same_plans_and_seed(world: dict[str, Any]) -> None:
    member = client(world["users"]["member"])
    page = member.get(f"/partnerships/{world['a'].slug}/plans/" + query(world))
    assert page.status_code == 200
    content = page.content.decode()
    # the page's download link carries the plans compared
    assert f'href="{url(world["a"])}{html.escape(query(world))}"' in content
    figures = re.findall(r'<td class="num">([\d,.]+) <small>\(([\d,.]+)–([\d,.]+)\)</small></td>', content)
    assert len(figures) == 3 * len(world["plans"])  # reached, practice change, trainers
    text = pdf_text(member.get(url(world["a"]) + query(world)).content)
    for median, low, high in figures:
        assert f"{median} ({low}–{high})" in text
    for days in re.findall(r'<td class="num">(\d+)</td><td class="num">[\d,]+', content):
        assert days in text
    from healthlinks.web.planning_pdf import report_context

    ours = report_context(world["users"]["member"], world["a"], [str(p.pk) for p in world["plans"]])
    assert ours is not None and ours["result"]["plans"] == page.context["result"]["plans"]


def test_without_a_choice_the_pdf_compares_the_pages_plans(world: dict[str, Any]) -> None:
    text = pdf_text(client(world["users"]["coord_a"]).get(url(world["a"])).content)
    assert "Four visits" in text and "Long placement" in text


@pytest.mark.parametrize(
    ("who", "status"), [(None, 302), ("researcher", 403), ("coord_b", 403), ("member", 200), ("coord_a", 200)]
)
def test_those_who_may_not_read_the_plans_get_no_pdf(world: dict[str, Any], who: str | None, status: int) -> None:
    user = world["users"][who] if who else None
    response = client(user).get(url(world["a"]) + query(world))
    page = client(user).get(f"/partnerships/{world['a'].slug}/plans/")
    assert response.status_code == page.status_code == status
    assert response.content.startswith(b"%PDF") == (status == 200)
    if who is None:
        assert response["Location"].startswith("/accounts/login/")


def test_no_plan_gives_a_clear_message_not_an_empty_pdf(world: dict[str, Any]) -> None:
    coordinator = client(world["users"]["coord_b"])
    response = coordinator.get(url(world["b"]), follow=True)
    assert response.redirect_chain == [(f"/partnerships/{world['b'].slug}/plans/", 302)]
    assert "No plan to compare, so no PDF" in response.content.decode()
    assert not response.content.startswith(b"%PDF")
    # plans that are not the partnership's (or no plan at all) are none to compare either
    other = world["plans"][0].pk
    for wanted in (f"?plan={other}", "?plan=nonsense"):
        refused = coordinator.get(url(world["b"]) + wanted)
        assert refused.status_code == 302 and refused["Location"] == f"/partnerships/{world['b'].slug}/plans/"


def test_the_pdf_is_in_the_readers_language(world: dict[str, Any]) -> None:
    text = pdf_text(client(world["users"]["member"], "fr").get(url(world["a"]) + query(world)).content)
    assert "Planificateur stratégique" in text and "Côte à côte" in text and "Side by side" not in text
    from django.utils import translation

    from healthlinks.web.planning_pdf import plans_html, report_context

    with translation.override("ar"):
        context = report_context(world["users"]["member"], world["a"], [])
        assert context is not None
        page = plans_html(context)
    assert '<html lang="ar" dir="rtl">' in page and "مخطِّط الاستراتيجية" in page


def test_the_pdf_says_the_conditions_a_plan_assumes_and_what_the_planner_rests_on(world: dict[str, Any]) -> None:
    from healthlinks.web.planning_pdf import report_context

    context = report_context(world["users"]["member"], world["a"], [])
    assert context is not None
    text = pdf_text(client(world["users"]["member"]).get(url(world["a"]) + query(world)).content)
    assert "Conditions the plans assume" in text and "Long placement" in text
    assert "named counterpart at the host" in text.lower()
    # the number of partnerships the reach comes from is said (it once fell out of the sentence)
    reach = context["result"]["reach_partnerships"]
    assert reach > 0 and f"from the stays of {reach} partnerships" in text


def test_a_chart_with_nothing_to_draw_still_goes_into_a_report() -> None:
    """vl-convert has no PNG for a picture of no size (an empty chart fitted to its data): the report keeps the
    SVG it draws for it rather than failing."""
    from healthlinks.web.reports import chart_img

    empty = {"data": {"values": []}, "mark": "point", "width": 0, "height": 0}
    assert chart_img(empty).startswith("data:image/svg+xml;base64,")
    drawn = {"data": {"values": [{"a": 1}]}, "mark": "point", "encoding": {"x": {"field": "a", "type": "quantitative"}}}
    assert chart_img(drawn).startswith("data:image/png;base64,")
