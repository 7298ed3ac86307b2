from __future__ import annotations

import pandas as pd
import pytest

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
        "dimension": ["barrier", "barrier", "barrier", "provider view", "need", "barrier"],
        "code_id": ["BAR01", "BAR03", "BAR04", "PRO03", "NEE01", "BAR02"],
        "name": [
            "Help only at crisis point",
            "Telling my story again",
            "Services not joined up",
            "Data not shared",
            "Someone to talk to out of hours",
            "Support only 9 to 5",
        ],
        "segments": [8, 7, 6, 3, 5, 4],
    }
)
#: Sentences an earlier version printed whatever the data held (the demo's findings, canned).
CANNED = ("families' own complaint", "support only 9 to 5", "(A&E, police)", "workshops and interviews")


def test_need_findings_say_unmet_duplication_and_office_hours():
    table = need_findings(COVERAGE, SUMMARY).set_index("code_id")
    assert table.loc["NEE01", "finding"] == "Met by no service."
    assert table.loc["NEE02", "finding"] == "Met by 4 services (possible duplication)."
    assert table.loc["NEE04", "finding"] == "Met by 1 service; none open evenings or weekends."
    assert table.loc["NEE01", "segments"] == 5 and table.loc["NEE02", "segments"] == 0


def test_without_notes_how_often_a_need_was_raised_is_unknown_not_zero():
    assert "segments" not in need_findings(COVERAGE).columns


def test_every_question_carries_the_evidence_given_with_its_numbers():
    answers = challenge_questions(
        need_findings(COVERAGE, SUMMARY),
        summary=SUMMARY,
        many_services={3: 120, 5: 25, 7: None},
        top_pairs=pd.DataFrame({"service_a": ["GP"], "service_b": ["A&E"], "shared": [85]}),
        hotspots={"statement": "Two neighbourhoods are hot spots at 99% confidence."},
        deprivation_share=0.46,
        crisis_referrals=0.31,
        crisis_sources=["Police", "A&E"],
    ).set_index("number")
    assert answers["question"].tolist() == list(QUESTIONS)
    q1 = answers.loc[1, "evidence"]
    assert "Met by no service, 1 of the 3 needs and aspirations in the codebook: Someone to talk to out of hours " in q1
    assert "Someone to talk to out of hours (raised in 5 passages)" in q1
    assert "closed in the evenings and at weekends, 1 of 3: A single key worker (not raised)." in q1
    assert "Barriers about opening hours raised in the coded notes: 'Support only 9 to 5' (4 passages)" in q1
    assert "Raised most often in the coded notes: 'Help only at crisis point' (8 passages)" in q1
    assert "46% of the people" in answers.loc[2, "evidence"] and "hot spots" in answers.loc[2, "evidence"]
    q3 = answers.loc[3, "evidence"]
    assert "'Help only at crisis point' (8 passages)" in q3
    assert "31% of referrals came through crisis routes (Police and A&E)" in q3
    q4 = answers.loc[4, "evidence"]
    assert "Met by 3 or more services, 1 of 3: Practical help with money and housing (4 services)." in q4
    assert "GP and A&E (about 85" in q4
    assert "'Data not shared' (3 passages)" in answers.loc[5, "evidence"]
    q6 = answers.loc[6, "evidence"]
    assert "about 120 in 3 or more; about 25 in 5 or more; a few in 7 or more" in q6
    assert "'Telling my story again' (7 passages) and 'Services not joined up' (6 passages)" in q6


def test_missing_evidence_is_said_not_guessed():
    answers = challenge_questions(need_findings(COVERAGE), top_pairs=None).set_index("number")
    assert "No notes were coded" in answers.loc[1, "evidence"]
    assert "No area statistics in this run" in answers.loc[2, "evidence"]
    assert "No notes were coded" in answers.loc[3, "evidence"]
    assert "crisis routes" in answers.loc[3, "evidence"] and "not available" in answers.loc[3, "evidence"]
    assert "No service-overlap network" in answers.loc[4, "evidence"]
    assert "providers' own views are missing" in answers.loc[5, "evidence"]
    assert "No count of families in many services" in answers.loc[6, "evidence"]


def test_without_a_codebook_the_questions_say_so_and_claim_no_need():
    empty = need_findings(COVERAGE.iloc[0:0])
    answers = challenge_questions(empty, codebook=False).set_index("number")
    for number in (1, 4):
        assert "No codebook in this run" in answers.loc[number, "evidence"]
    text = " ".join(answers["evidence"]).lower()
    assert "met by no service" not in text and "all " not in text.split("no codebook")[0]


def test_codes_are_quoted_by_the_run_s_own_names_never_by_a_fixed_id():
    """A council's BAR01 is not the demo's 'Help only at crisis point': the name and count come from the run."""
    council = pd.DataFrame(
        {
            "dimension": ["barrier", "barrier"],
            "code_id": ["BAR01", "BAR04"],
            "name": ["Transport", "Cost"],
            "segments": [9, 2],
        }
    )
    answers = challenge_questions(need_findings(COVERAGE, council), summary=council).set_index("number")
    text = " ".join(answers["evidence"])
    assert "Help only at crisis point" not in text and "Services not joined up" not in text
    assert "No barrier coded in the notes names crisis, early help or prevention" in answers.loc[3, "evidence"]
    assert "No barrier coded in the notes names joined-up working" in answers.loc[6, "evidence"]
    assert "'Transport' (9 passages)" in answers.loc[1, "evidence"]


@pytest.mark.parametrize("coded", [True, False])
def test_no_canned_sentence_in_any_answer(coded):
    """With notes that never raised '9 to 5' (or none at all), no answer says families complained of it."""
    summary = SUMMARY[SUMMARY["code_id"] != "BAR02"] if coded else None
    answers = challenge_questions(need_findings(COVERAGE, summary), summary=summary, crisis_referrals=0.2)
    text = " ".join(answers["evidence"]).lower()
    for claim in CANNED:
        assert claim.lower() not in text


def test_duplication_threshold_is_the_one_given():
    answers = challenge_questions(need_findings(COVERAGE.assign(status="met")), duplication_at=5)
    assert "No need or aspiration in the codebook is met by 5 or more services." in answers.loc[3, "evidence"]


def test_no_referral_from_the_crisis_routes_asks_whether_they_are_spelt_as_in_the_records():
    answers = challenge_questions(need_findings(COVERAGE), crisis_referrals=0.0, crisis_sources=["A&E", "Police"])
    assert "No referral came through the crisis routes listed (A&E and Police)" in answers.loc[2, "evidence"]
    assert "0%" not in answers.loc[2, "evidence"]


def _published(participants: list[object]) -> pd.DataFrame:
    """The coded barriers as the pack's table publishes them (participant counts through disclosure control)."""
    from circles.qualitative.analysis import rank_codes
    from circles.qualitative.model import Code, Codebook

    book = Codebook(
        (
            Code("BAR03", "Telling my story again", "barrier"),
            Code("BAR04", "Services not joined up", "barrier"),
            Code("BAR01", "Help only at crisis point", "barrier"),
        )
    )
    table = pd.DataFrame(
        {
            "dimension": "barrier",
            "code_id": ["BAR03", "BAR04", "BAR01"],
            "name": ["Telling my story again", "Services not joined up", "Help only at crisis point"],
            "theme": "",
            "segments": [7, 8, 8],
            "sources": [3, 4, 4],
            "participants": pd.array(participants, dtype="Int64"),
        }
    )
    return rank_codes(table, book)


def test_question_6_prints_only_the_counts_the_table_publishes_in_the_table_s_order():
    """The table suppresses every participant count ("*") and ranks on sources, then passages: question 6
    says the same numbers in the same order and never prints a participant count."""
    published = _published([None, None, None])
    assert published[["rank", "code_id"]].values.tolist() == [[1, "BAR04"], [2, "BAR01"], [3, "BAR03"]]
    answers = challenge_questions(need_findings(COVERAGE, published), summary=published).set_index("number")
    q6 = answers.loc[6, "evidence"]
    assert (
        "Barriers about services working together raised in the coded notes: 'Services not joined up' "
        "(4 sources, 8 passages) and 'Telling my story again' (3 sources, 7 passages)." in q6
    )
    assert "participant" not in " ".join(answers["evidence"])
    assert "'Help only at crisis point' (4 sources, 8 passages)" in answers.loc[3, "evidence"]
    # the three codes raised most often, in the table's order
    assert (
        "Raised most often in the coded notes: 'Services not joined up' (4 sources, 8 passages), 'Help only at "
        "crisis point' (4 sources, 8 passages) and 'Telling my story again' (3 sources, 7 passages)."
        in answers.loc[1, "evidence"]
    )


def test_published_participant_counts_are_said_first_as_the_table_ranks_on_them():
    published = _published([12, 15, 11])
    assert published["code_id"].tolist() == ["BAR04", "BAR03", "BAR01"]
    q6 = challenge_questions(need_findings(COVERAGE, published), summary=published).loc[5, "evidence"]
    assert "'Services not joined up' (15 participants, 4 sources, 8 passages) and 'Telling my story again' " in q6


def test_a_suppressed_count_is_never_printed():
    published = _published([None, None, None]).assign(segments=pd.array([None, 8, 8], dtype="Int64"))
    text = " ".join(challenge_questions(need_findings(COVERAGE, published), summary=published)["evidence"])
    assert "'Services not joined up' (4 sources)" in text and "nan" not in text.lower()
