from __future__ import annotations

import pandas as pd

from circles.challenge.findings import QUESTIONS, challenge_questions, need_findings

COVERAGE = pd.DataFrame(
    {
        "code_id": ["NEE01", "NEE02", "NEE04"],
        "code_name": [
            "Someone to talk to out of hours",
            "Practical help with money and housing",
            "A single key worker",
        ],
        "dimension": ["need", "need", "need"],
        "n_services": [0, 4, 1],
        "services": ["", "Housing; GP; Health Outreach; Family Intervention", "Family Intervention"],
        "status": ["unmet", "possible duplication", "met"],
        "out_of_hours_gap": [False, False, True],
    }
)
SUMMARY = pd.DataFrame(
    {
        "dimension": ["barrier", "barrier", "barrier", "provider view", "need"],
        "code_id": ["BAR01", "BAR03", "BAR04", "PRO03", "NEE01"],
        "name": [
            "Help only at crisis point",
            "Telling my story again",
            "Services not joined up",
            "Data not shared",
            "Someone to talk to out of hours",
        ],
        "segments": [8, 7, 6, 3, 5],
    }
)


def test_need_findings_say_unmet_duplication_and_office_hours():
    table = need_findings(COVERAGE, SUMMARY).set_index("code_id")
    assert table.loc["NEE01", "finding"] == "Met by no service."
    assert table.loc["NEE02", "finding"] == "Met by 4 services (possible duplication)."
    assert table.loc["NEE04", "finding"] == "Met by 1 service; only in office hours."
    assert table.loc["NEE01", "segments"] == 5 and table.loc["NEE02", "segments"] == 0


def test_every_question_carries_the_evidence_given():
    answers = challenge_questions(
        need_findings(COVERAGE, SUMMARY),
        summary=SUMMARY,
        many_services={3: 120, 5: 25, 7: None},
        top_pairs=pd.DataFrame({"service_a": ["GP"], "service_b": ["A&E"], "shared": [85]}),
        hotspots={"statement": "Two neighbourhoods are hot spots at 99% confidence."},
        deprivation_share=0.46,
        crisis_referrals=0.31,
    ).set_index("number")
    assert answers["question"].tolist() == list(QUESTIONS)
    assert "Someone to talk to out of hours" in answers.loc[1, "evidence"]
    assert "only in office hours: A single key worker" in answers.loc[1, "evidence"]
    assert "46% of the people" in answers.loc[2, "evidence"] and "hot spots" in answers.loc[2, "evidence"]
    assert "raised 8 times" in answers.loc[3, "evidence"] and "31% of referrals" in answers.loc[3, "evidence"]
    assert "Practical help with money and housing" in answers.loc[4, "evidence"]
    assert "GP and A&E (about 85" in answers.loc[4, "evidence"]
    assert "Data not shared" in answers.loc[5, "evidence"]
    assert "about 120 in 3 or more; about 25 in 5 or more; a few in 7 or more" in answers.loc[6, "evidence"]
    assert "'Services not joined up' was raised 6 times" in answers.loc[6, "evidence"]


def test_missing_evidence_is_said_not_guessed():
    answers = challenge_questions(need_findings(COVERAGE)).set_index("number")
    assert "not run" in answers.loc[2, "evidence"]
    assert answers.loc[3, "evidence"] == "No evidence on timing of help in this run."
    assert answers.loc[5, "evidence"] == "No provider views coded in this run."
    assert answers.loc[6, "evidence"] == "No evidence on joint working in this run."
