from __future__ import annotations

import pytest

from healthlinks.accounts.models import Role
from tests.fixtures import EXTERNAL

FIXTURES = EXTERNAL / "refi_qda"


@pytest.fixture
def qda_world(make_partnership, make_user):
    """A partnership with a coordinator and a member; another partnership with its own coordinator."""
    coordinator = make_user("qcoord", Role.COORDINATOR)
    member = make_user("qmember", Role.MEMBER)
    other = make_user("othercoord", Role.COORDINATOR)
    p = make_partnership(name="Leeds Gulu", coordinator=coordinator, member=member)
    q = make_partnership(name="Other link", coordinator=other)
    return {"p": p, "q": q, "coordinator": coordinator, "member": member, "other": other}


TRANSCRIPT = (
    "Interviewer: How did the link start?\n"
    "Speaker A: We had no money for flights, so funding was the first worry.\r\n"
    "Speaker B: Our nurses learnt triage skills and stayed in post.\n"
)


@pytest.fixture
def coded_world(qda_world, make_user):
    """One transcript of Leeds Gulu with two speakers, three segments and memos."""
    from healthlinks.interviews import services

    services.codebook_load_starter()
    from healthlinks.interviews.models import Code

    funding = Code.objects.get(name="Funding")
    skills = Code.objects.get(name="Skills and knowledge")
    time = Code.objects.get(name="Time")
    source = services.source_save(
        by=None, partnership=qda_world["p"], title="Interview with Dr Secretname", content=TRANSCRIPT
    )
    services.speaker_save(
        by=None, source=source, label="Speaker A", role="volunteer", description="UK consultant", country_id="GBR"
    )
    services.speaker_save(
        by=None,
        source=source,
        label="Speaker B",
        role="counterpart",
        description="Ugandan nurse manager",
        country_id="UGA",
    )
    a = TRANSCRIPT.index("We had no money")
    s1 = services.segment_create(by=qda_world["coordinator"], source=source, code=funding, start=a, end=a + 40)
    s2 = services.segment_create(by=qda_world["coordinator"], source=source, code=time, start=a + 10, end=a + 20)
    b = TRANSCRIPT.index("Our nurses")
    s3 = services.segment_create(by=qda_world["member"], source=source, code=skills, start=b, end=b + 31)
    services.memo_create(
        by=qda_world["member"], text="private memo about the interviewee", partnership=qda_world["p"], source=source
    )
    return {
        **qda_world,
        "source": source,
        "funding": funding,
        "skills": skills,
        "time": time,
        "segments": [s1, s2, s3],
        "researcher": make_user("qresearcher", Role.RESEARCHER),
        "admin": make_user("qadmin", Role.HUB_ADMIN),
    }
