"""Write the four shipped survey instruments as XLSForm workbooks (survey, choices, settings sheets).

    .venv/bin/python tools/build_instruments.py      # rewrites src/healthlinks/evaluation/instruments/*.xlsx

The forms are data in this file so they can be reviewed in a diff; the .xlsx files are what KoboToolbox, ODK
Central and Healthlinks load. Naming conventions (docs/evaluation.md): a question named `partnership` holds a
partnership slug, `institution` an institution id or ROR id, `person` a pseudonymous id; they link a response.
A question named `respondent_role` is the "role" of cross-tabulations."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

OUT = Path(__file__).resolve().parents[1] / "src" / "healthlinks" / "evaluation" / "instruments"
SURVEY_COLUMNS = ["type", "name", "label", "hint", "required", "relevant", "constraint", "constraint_message"]

AGREE5 = [
    ("strongly_disagree", "Strongly disagree"),
    ("disagree", "Disagree"),
    ("neutral", "Neither agree nor disagree"),
    ("agree", "Agree"),
    ("strongly_agree", "Strongly agree"),
]
YES_NO = [("yes", "Yes"), ("no", "No")]
YES_NO_UNSURE = [("yes", "Yes"), ("no", "No"), ("unsure", "Not sure")]
COUNTRIES = [
    ("UGA", "Uganda"), ("GHA", "Ghana"), ("ZMB", "Zambia"), ("MWI", "Malawi"), ("ETH", "Ethiopia"),
    ("SLE", "Sierra Leone"), ("SOM", "Somaliland / Somalia"), ("TZA", "Tanzania"), ("RWA", "Rwanda"),
    ("KEN", "Kenya"), ("NPL", "Nepal"), ("MMR", "Myanmar"), ("IND", "India"), ("other", "Another country"),
]  # fmt: skip
SPECIALTIES = [
    ("nursing", "Nursing"), ("midwifery", "Midwifery"), ("surgery", "Surgery"), ("anaesthesia", "Anaesthesia"),
    ("mental_health", "Mental health"), ("paediatrics", "Paediatrics"), ("emergency", "Emergency care"),
    ("palliative", "Palliative care"), ("pharmacy", "Pharmacy"), ("other", "Other"),
]  # fmt: skip
CADRES = [
    ("nurse", "Nurse"), ("midwife", "Midwife"), ("doctor", "Doctor"), ("allied", "Allied health professional"),
    ("pharmacist", "Pharmacist"), ("manager", "Manager or administrator"), ("other", "Other"),
]  # fmt: skip


def q(kind: str, name: str = "", label: str = "", **extra: str) -> dict[str, str]:
    return {"type": kind, "name": name, "label": label, **extra}


def end(kind: str) -> dict[str, str]:
    return {"type": f"end {kind}"}


# Where the respondent works now: each answer about a known person becomes a career record (careers.feeds); the
# codes are the CareerStatus codes.
CAREER_QUESTIONS = [
    q("select_one career", "career_status", "Where do you work now?", hint="Feeds the careers and retention records."),
    q(
        "text",
        "career_grade",
        "Your grade or pay band now (optional)",
        relevant="${career_status} != '' and ${career_status} != 'left_health_work'",
    ),
    q(
        "text",
        "career_post",
        "Your post now (optional)",
        relevant="${career_status} != '' and ${career_status} != 'left_health_work'",
    ),
]
CAREER = [
    ("in_post", "In the same post"),
    ("changed_post", "In another post"),
    ("promoted", "Promoted"),
    ("moved_within_country", "Working elsewhere in the country"),
    ("moved_abroad", "Working abroad"),
    ("left_health_work", "No longer in health work"),
]

FORMS: dict[str, dict[str, object]] = {
    "partnership_census": {
        "title": "Census of international educational partnerships",
        "version": "2026.1",
        "survey": [
            q(
                "note",
                "intro",
                "This census asks your organisation (an NHS trust or any health institution) about the "
                "international educational partnerships it holds: how many, where, in which fields, who is involved, "
                "what they bring and what gets in the way. It takes about ten minutes.",
            ),
            q("begin group", "organisation", "Your organisation"),
            q("select_one org_type", "org_type", "What kind of organisation is it?", required="yes"),
            q(
                "text",
                "institution",
                "Healthlinks institution id or ROR id (optional)",
                hint="Leave blank if you do not know it.",
            ),
            q("select_one role", "respondent_role", "Your role", required="yes"),
            end("group"),
            q(
                "select_one yes_no",
                "has_partnerships",
                "Does your organisation currently hold any international educational partnerships?",
                required="yes",
            ),
            q("begin group", "held", "The partnerships you hold", relevant="${has_partnerships} = 'yes'"),
            q(
                "integer",
                "n_partnerships",
                "How many international partnerships does your organisation hold?",
                required="yes",
                constraint=". >= 1 and . <= 200",
                constraint_message="Between 1 and 200.",
            ),
            q("select_multiple country", "countries", "In which countries are your partners?", required="yes"),
            q("select_multiple specialty", "specialties", "In which fields?"),
            q(
                "select_multiple partnership_type",
                "partnership_types",
                "What kinds of partnership are they?",
                required="yes",
            ),
            q("select_multiple staff", "staff_involved", "Who is involved from your organisation?", required="yes"),
            q(
                "integer",
                "staff_count",
                "About how many staff took part in the last 12 months?",
                constraint=". >= 0 and . <= 5000",
                constraint_message="Between 0 and 5000.",
            ),
            q("select_multiple benefit", "benefits", "What benefits have the partnerships brought?"),
            q("select_multiple challenge", "challenges", "What challenges have you faced?"),
            q(
                "select_one agree5",
                "value_to_org",
                "The partnerships bring value to our organisation that justifies the staff time.",
            ),
            q("select_one yes_no_unsure", "evaluated", "Has any of the partnerships been formally evaluated?"),
            end("group"),
            q("select_multiple support", "support_needed", "What support would help your organisation most?"),
            q("text", "comments", "Anything else you would like to tell us?"),
        ],
        "choices": {
            "org_type": [
                ("nhs_trust", "NHS trust"),
                ("health_board", "Health board"),
                ("university", "University"),
                ("professional_body", "Royal college or professional body"),
                ("ngo", "NGO or charity"),
                ("hospital_lmic", "Hospital outside the UK"),
                ("other", "Other"),
            ],
            "role": [
                ("international_lead", "International / global health lead"),
                ("clinician", "Clinician"),
                ("educator", "Educator"),
                ("workforce", "Workforce or HR manager"),
                ("executive", "Executive"),
                ("other", "Other"),
            ],
            "yes_no": YES_NO,
            "yes_no_unsure": YES_NO_UNSURE,
            "country": COUNTRIES,
            "specialty": SPECIALTIES,
            "partnership_type": [
                ("skill_sharing", "Skill sharing"),
                ("exchange", "Exchange programme"),
                ("mentorship", "Mentorship scheme"),
                ("training", "Training courses"),
                ("curriculum", "Curriculum development"),
                ("research", "Joint research"),
                ("recruitment", "Ethical recruitment or earn-learn-return"),
                ("other", "Other"),
            ],
            "staff": [
                ("nurses", "Nurses"),
                ("midwives", "Midwives"),
                ("doctors", "Doctors"),
                ("allied", "Allied health professionals"),
                ("managers", "Managers"),
                ("educators", "Educators"),
                ("students", "Students and trainees"),
            ],
            "benefit": [
                ("individual_skills", "Staff skills and confidence"),
                ("leadership", "Leadership"),
                ("cultural_awareness", "Cross-cultural awareness"),
                ("retention", "Recruitment and retention"),
                ("org_learning", "Organisational learning"),
                ("partner_capacity", "Capacity at the partner"),
                ("reputation", "Reputation"),
                ("wellbeing", "Staff morale and wellbeing"),
            ],
            "challenge": [
                ("funding", "Funding"),
                ("staff_time", "Staff time and release from rota"),
                ("communication", "Communication"),
                ("power", "Power imbalance between partners"),
                ("sustainability", "Sustainability"),
                ("ethics", "Ethical concerns"),
                ("governance", "Governance and approvals"),
                ("travel", "Visas and travel"),
            ],
            "support": [
                ("funding", "Funding"),
                ("guidance", "Guidance and toolkits"),
                ("backfill", "Backfill for staff"),
                ("evaluation", "Help with evaluation"),
                ("networks", "Networks of partnerships"),
                ("recognition", "Recognition in appraisal and CPD"),
            ],
            "agree5": AGREE5,
        },
    },
    "volunteer_impact": {
        "title": "Volunteer personal and professional impact after a stay",
        "version": "2026.2",
        "survey": [
            q("text", "partnership", "Partnership (Healthlinks slug)", required="yes"),
            q(
                "text",
                "person",
                "Your Healthlinks id (optional)",
                hint="From your invitation; leave blank to stay anonymous.",
            ),
            q("select_one cadre", "respondent_role", "Your profession", required="yes"),
            q(
                "integer",
                "stay_weeks",
                "How many weeks was your stay?",
                required="yes",
                constraint=". >= 1 and . <= 104",
                constraint_message="Between 1 and 104 weeks.",
            ),
            q("date", "return_date", "When did you come back?"),
            q("begin group", "impact", "Since coming back, I ..."),
            q("select_one agree5", "confidence", "... am more confident in my clinical practice."),
            q("select_one agree5", "leadership", "... take on more leadership."),
            q("select_one agree5", "teaching", "... teach and supervise better."),
            q("select_one agree5", "resourcefulness", "... work more resourcefully with what is available."),
            q("select_one agree5", "cultural", "... understand colleagues and patients from other cultures better."),
            q("select_one agree5", "wellbeing", "... feel more motivated in my job at home."),
            end("group"),
            q("select_multiple applied", "applied_at_home", "What have you applied in your own workplace?"),
            q("select_one yes_no_unsure", "would_return", "Would you volunteer again?"),
            q(
                "text",
                "most_significant_change",
                "Describe the most significant change for you.",
                relevant="${would_return} != ''",
            ),
            *CAREER_QUESTIONS,
        ],
        "choices": {
            "cadre": CADRES,
            "agree5": AGREE5,
            "yes_no_unsure": YES_NO_UNSURE,
            "applied": [
                ("clinical_skill", "A clinical skill"),
                ("teaching_method", "A teaching method"),
                ("quality_improvement", "A quality-improvement idea"),
                ("frugal", "Frugal innovation"),
                ("team_working", "Ways of team working"),
                ("nothing_yet", "Nothing yet"),
            ],
            "career": CAREER,
        },
    },
    "twinning_survey": {
        "title": "Twinning: goal setting, satisfaction and skill transfer",
        "version": "2026.1",
        "survey": [
            q(
                "note",
                "intro",
                "For faculty in a twinning programme (after Ndenga, Uwizeye et al. 2016): host and "
                "visiting faculty answer the same questions so the two sides can be compared.",
            ),
            q("text", "partnership", "Partnership (Healthlinks slug)", required="yes"),
            q("select_one side", "respondent_role", "You are", required="yes"),
            q("select_one cadre", "cadre", "Your profession"),
            q(
                "integer",
                "years_experience",
                "Years of professional experience",
                constraint=". >= 0 and . <= 60",
                constraint_message="Between 0 and 60.",
            ),
            q("select_one yes_no", "common_language", "Did you and your twin share a common working language?"),
            q("select_one yes_no", "set_goals", "Did you set goals with your twin?", required="yes"),
            q(
                "select_one goal_review",
                "goals_reviewed",
                "How often did you review them together?",
                relevant="${set_goals} = 'yes'",
            ),
            q(
                "select_one satisfied5",
                "satisfaction",
                "Overall, how satisfied are you with the twinning model?",
                required="yes",
            ),
            q(
                "select_one yes_no_unsure",
                "skill_transfer",
                "Do you think skills were effectively transferred?",
                required="yes",
            ),
            q("select_multiple skill", "skills_transferred", "Which skills?", relevant="${skill_transfer} = 'yes'"),
            q("select_one agree5", "respect", "There was a culture of mutual respect."),
            q("select_one agree5", "time_enough", "There was enough time together for real skill transfer."),
            q("text", "suggestions", "What would you change?"),
        ],
        "choices": {
            "side": [("host_faculty", "Host faculty"), ("visiting_faculty", "Visiting faculty")],
            "cadre": CADRES,
            "yes_no": YES_NO,
            "yes_no_unsure": YES_NO_UNSURE,
            "goal_review": [
                ("weekly", "Every week"),
                ("monthly", "Every month"),
                ("rarely", "Rarely"),
                ("never", "Never"),
            ],
            "satisfied5": [
                ("very_dissatisfied", "Very dissatisfied"),
                ("dissatisfied", "Dissatisfied"),
                ("neutral", "Neither"),
                ("satisfied", "Satisfied"),
                ("very_satisfied", "Very satisfied"),
            ],
            "skill": [
                ("clinical", "Clinical skills"),
                ("teaching", "Teaching"),
                ("curriculum", "Curriculum design"),
                ("research", "Research"),
                ("management", "Management"),
                ("language", "Language"),
            ],
            "agree5": AGREE5,
        },
    },
    "trainee_followup": {
        "title": "Trainee follow-up: practice change at 3, 6 and 12 months",
        "version": "2026.2",
        "survey": [
            q("note", "intro", "Kirkpatrick level 3: is the training used at work? Ask at 3, 6 and 12 months."),
            q("text", "partnership", "Partnership (Healthlinks slug)", required="yes"),
            q("text", "person", "Trainee's Healthlinks id (optional)"),
            q("select_one followup", "followup_point", "Follow-up point", required="yes"),
            q("date", "training_date", "When did the training end?"),
            q("select_one cadre", "respondent_role", "Trainee's profession", required="yes"),
            q("select_one frequency", "uses_skills", "How often do you use what you learned?", required="yes"),
            q(
                "select_one yes_no",
                "practice_changed",
                "Have you changed how you work because of the training?",
                required="yes",
            ),
            q(
                "select_multiple change",
                "changes",
                "What changed?",
                relevant="${practice_changed} = 'yes'",
                constraint="not(selected(., 'none') and count-selected(.) > 1)",
                constraint_message="'None' cannot be combined with other changes.",
            ),
            q("select_multiple barrier", "barriers", "What makes it hard to apply?"),
            q(
                "integer",
                "trained_others",
                "How many colleagues have you taught it to?",
                constraint=". >= 0 and . <= 500",
                constraint_message="Between 0 and 500.",
            ),
            q("select_one agree5", "supported", "My manager supports me to apply what I learned."),
            q(
                "text",
                "example",
                "Give one example of something you now do differently.",
                relevant="${practice_changed} = 'yes'",
            ),
            *CAREER_QUESTIONS,
        ],
        "choices": {
            "followup": [("m3", "3 months"), ("m6", "6 months"), ("m12", "12 months")],
            "cadre": CADRES,
            "frequency": [
                ("never", "Never"),
                ("rarely", "Rarely"),
                ("sometimes", "Sometimes"),
                ("often", "Often"),
                ("always", "Always"),
            ],
            "yes_no": YES_NO,
            "change": [
                ("protocol", "I follow a new protocol"),
                ("equipment", "I use equipment differently"),
                ("communication", "I communicate differently with patients"),
                ("teaching", "I teach colleagues"),
                ("records", "I keep better records"),
                ("none", "None"),
            ],
            "barrier": [
                ("equipment", "Missing equipment or supplies"),
                ("staffing", "Too few staff"),
                ("support", "No support from managers"),
                ("time", "No time"),
                ("forgot", "I forgot parts of it"),
                ("none", "No barriers"),
            ],
            "agree5": AGREE5,
            "career": CAREER,
        },
    },
}


def write(form_id: str, form: dict[str, object], out: Path) -> Path:
    book = Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(SURVEY_COLUMNS)
    for row in form["survey"]:  # type: ignore[attr-defined]
        survey.append([row.get(c, "") for c in SURVEY_COLUMNS])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    for list_name, items in form["choices"].items():  # type: ignore[attr-defined]
        for code, label in items:
            choices.append([list_name, code, label])
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version"])
    settings.append([form["title"], form_id, form["version"]])
    path = out / f"{form_id}.xlsx"
    # fixed workbook timestamps so re-running the script gives the same bytes
    from datetime import datetime

    book.properties.created = book.properties.modified = datetime(2026, 1, 1)
    book.save(path)
    return path


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for form_id, form in FORMS.items():
        print(write(form_id, form, OUT))


if __name__ == "__main__":
    main()
