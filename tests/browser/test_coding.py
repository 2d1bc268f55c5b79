"""A coordinator selects a passage of a transcript on a phone, applies a code, and sees the code count rise;
the stored segment is exactly the passage selected, although the transcript mixes line endings and accents."""

import pytest

from healthlinks.accounts.models import Role
from healthlinks.interviews import services
from healthlinks.interviews.models import Code, Segment
from tests.browser.conftest import shot
from tests.browser.test_registry_flow import _login

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = (
    "Interviewer: Comment le partenariat a-t-il commencé ?\r\n"
    "Speaker A: Funding for flights was always the first worry.\r\n"
    "Speaker B: Our nurses learnt triage skills and stayed in post.\n"
)

SELECT = """([needle]) => {
  const piece = [...document.querySelectorAll('#transcript .piece')].find(p => p.textContent.includes(needle));
  const node = piece.firstChild;
  const at = node.data.indexOf(needle);
  const range = document.createRange();
  range.setStart(node, at);
  range.setEnd(node, at + needle.length);
  const sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
  document.getElementById('transcript').dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
}"""


def test_select_a_passage_apply_a_code_and_see_the_count_rise(live_server, page_factory, make_user, make_partnership):
    coordinator = make_user("coder", Role.COORDINATOR)
    p = make_partnership(name="Leeds Gulu", coordinator=coordinator)
    services.codebook_load_starter()
    source = services.source_save(by=None, partnership=p, title="Interview 1", content=TEXT)
    skills = Code.objects.get(name="Skills and knowledge")
    count = f"[data-code-count='{skills.pk}']"

    page = page_factory(360, 780)
    _login(page, live_server.url, "coder")
    page.goto(f"{live_server.url}/interviews/sources/{source.pk}/")
    assert page.inner_text(count).strip() == "0"
    assert page.locator("#apply-code").is_disabled()

    page.evaluate(SELECT, ["triage skills"])
    assert "triage skills" in page.inner_text("#selection-preview")
    page.select_option("#id_code", str(skills.pk))
    page.click("#apply-code")
    page.wait_for_selector(f"{count}:text-is('1')")
    page.wait_for_load_state("load")
    page.wait_for_selector("#transcript .piece.coded")
    assert page.inner_text(count).strip() == "1"
    assert "Skills and knowledge" in page.get_attribute("#transcript .piece.coded", "title")

    segment = Segment.objects.get()
    assert segment.text == "triage skills" and segment.coder == coordinator
    assert segment.speaker is None or segment.speaker.label == "Speaker B"
    shot(page, "phone_coding")

    # a second passage, after the CRLF line ends, with another code: offsets still exact
    page.evaluate(SELECT, ["Funding for flights"])
    funding = Code.objects.get(name="Funding")
    page.select_option("#id_code", str(funding.pk))
    page.click("#apply-code")
    page.wait_for_selector(f"[data-code-count='{funding.pk}']:text-is('1')")
    page.wait_for_load_state("load")
    assert Segment.objects.get(code=funding).text == "Funding for flights"
    assert not page.errors, page.errors
