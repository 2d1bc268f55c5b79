"""A coordinator who cannot use a mouse (issue 22): signs in, skips to the content, reaches the stay form from
My partnerships, logs a stay, records an activity delivered during it and switches language, with the keyboard
alone; every control reached shows where the focus is."""

from __future__ import annotations

import pytest

from healthlinks.accounts.models import Role, User
from healthlinks.activities.models import Activity
from healthlinks.network.models import Stay
from healthlinks.network.services import RoleSpec, person_save

pytestmark = pytest.mark.django_db(transaction=True)


def _focused(page, selector: str) -> bool:
    return bool(page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector))


def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Tab forward until `selector` has the focus (it is reachable by keyboard), checking on the way that each
    element focused shows a focus indicator."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        ring = page.evaluate(
            # (a date field's calendar button is inside the browser's own control, with the browser's own ring)
            """() => { const e = document.activeElement, s = getComputedStyle(e);
                       return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                              || (e.type === 'date' && !e.matches(':focus')); }"""
        )
        tag = page.evaluate("document.activeElement.outerHTML.slice(0, 80)")
        assert ring, f"no visible focus on {tag}"
        if _focused(page, selector):
            return
    raise AssertionError(f"{selector} not reached with {limit} presses of Tab")


def test_a_stay_logged_with_the_keyboard_alone(live_server, page_factory, make_user, make_partnership):
    make_user("keys", Role.COORDINATOR)
    p = make_partnership(name="Dakar Leeds", coordinator=User.objects.get(username="keys"))
    person_save(by=None, given_name="Awa", family_name="Diop", roles=[RoleSpec(partnership_id=p.pk, role="volunteer")])
    host = p.members.get(role="partner").institution.name
    page = page_factory(360, 740)
    page.goto(f"{live_server.url}/accounts/login/")
    assert _focused(page, "input[name=username]")  # the login form has the focus from the start
    page.keyboard.type("keys")
    page.keyboard.press("Tab")
    page.keyboard.type("Correct-Horse-9")
    page.keyboard.press("Enter")
    page.wait_for_url("**/me/")

    page.keyboard.press("Tab")
    assert _focused(page, "a.skip") and page.locator("a.skip").is_visible()  # the first stop skips the menu
    page.keyboard.press("Enter")
    _tab_to(page, f"a[href='/partnerships/{p.slug}/stays/new/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/stays/new/")
    _tab_to(page, "#id_person")
    page.keyboard.type("Diop")
    _tab_to(page, "#id_mode")
    page.keyboard.type("Physical")  # a select chooses by typing
    _tab_to(page, "#id_host_institution")
    index = page.evaluate(
        f"[...document.querySelectorAll('#id_host_institution option')].findIndex(o => o.text === '{host}')"
    )
    for _ in range(index):  # the arrow keys choose in a closed select (a space would open it)
        page.keyboard.press("ArrowDown")
    _tab_to(page, "#id_start_date")
    page.keyboard.type("03022025")
    _tab_to(page, "#id_end_date")
    page.keyboard.type("03142025")
    _tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Stay recorded")
    stay = Stay.objects.get()
    assert str(stay.start_date) == "2025-03-02" and stay.host_institution.name == host

    # the activity delivered during that stay: the stay is found by typing and ticked with the space bar
    _tab_to(page, "header a[href='/me/']")  # the menu, from the top of the new page
    page.keyboard.press("Enter")
    page.wait_for_url("**/me/")
    _tab_to(page, f"a[href='/partnerships/{p.slug}/activities/new/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/activities/new/")
    _tab_to(page, "#id_title")
    page.keyboard.type("Triage refresher")
    _tab_to(page, "#id_start_date")
    page.keyboard.type("03052025")
    _tab_to(page, "#id_end_date")
    page.keyboard.type("03052025")
    _tab_to(page, "#id_stays")
    page.keyboard.type("2025-03")
    page.wait_for_function("document.querySelectorAll('#id_stays-found input').length === 1")
    _tab_to(page, "#id_stays-found input")
    page.keyboard.press("Space")
    _tab_to(page, "#id_facility_level")
    page.keyboard.press("ArrowDown")
    _tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Activity recorded.")
    assert list(Activity.objects.get(title="Triage refresher").stays.all()) == [stay]

    _tab_to(page, "header button[lang=fr]")  # the language switcher, a form of buttons
    page.keyboard.press("Enter")
    page.wait_for_selector("html[lang=fr]")
    assert page.errors == []
