"""The challenge study as library calls: the overlap network and the challenge questions, with real values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from circles.challenge import NetworkError, read_services_yaml
from circles.challenge.study import (
    ChallengeResult,
    answer_challenge,
    crisis_referral_share,
    overlap_network,
    publish_network,
    read_directory,
)
from circles.ingest.disclosure import get_policy
from circles.qualitative import read_codebook

ROOT = Path(__file__).resolve().parents[2]
CODEBOOK = ROOT / "pipelines" / "demo_codebook.yaml"

#: Family A uses all three services (twice s1), B uses s1 and s2, C only s3.
RECORDS = pd.DataFrame(
    {
        "family_id": ["A", "A", "A", "A", "B", "B", "C"],
        "service": ["s1", "s1", "s2", "s3", "s1", "s2", "s3"],
        "referral_source": ["police", "gp", "gp", "school", "police", "gp", "a&e"],
    }
)

#: No suppression, no rounding: published values equal the exact ones.
OPEN = get_policy("open", suppress_below=1, round_to=1)

TINY_DIRECTORY = """\
name: Tiny directory
organisations:
  - {id: council, name: The Council}
services:
  - id: money
    organisation: council
    name: Money advice
    hours: [{days: Mon-Fri, opens: "09:00", closes: "17:00"}]
    meets: [NEE02]
"""


def test_overlap_edges_and_caseloads_are_the_hand_counts() -> None:
    result = overlap_network(RECORDS, min_shared=1, weight="shared", combinations=None, seed=1)
    pairs = {(r.service_a, r.service_b): r.shared for r in result.edges.itertuples()}
    assert pairs == {("s1", "s2"): 2, ("s1", "s3"): 1, ("s2", "s3"): 1}
    assert result.caseloads.to_dict() == {"s1": 2, "s2": 2, "s3": 2}
    assert result.graph.number_of_nodes() == 3 and result.graph.number_of_edges() == 3
    assert result.measures["service"].tolist() == ["s1", "s2", "s3"]
    assert result.measures["degree"].tolist() == [2, 2, 2]
    assert sorted(result.combinations["combination"]) == ["s1 + s2", "s1 + s2 + s3", "s3"]
    assert result.combinations["families"].tolist() == [1, 1, 1]


def test_min_shared_drops_pairs_sharing_too_few_families() -> None:
    result = overlap_network(RECORDS, min_shared=2)
    assert result.edges[["service_a", "service_b", "shared"]].values.tolist() == [["s1", "s2", 2]]
    assert result.graph.number_of_edges() == 1


def test_families_in_many_services_are_the_hand_counts() -> None:
    result = overlap_network(RECORDS)
    many = result.families_in_many.set_index("min_services")
    assert many["families"].to_dict() == {3: 1, 5: 0, 7: 0}
    assert set(many["all_families"]) == {3}
    published = publish_network(result, OPEN)
    assert published.many_services == {3: 1, 5: 0, 7: 0}
    assert set(published.tables()) == {
        "network/service_pairs.csv",
        "network/services.csv",
        "network/families_in_many_services.csv",
        "network/combinations.csv",
    }


def test_published_network_suppresses_small_counts() -> None:
    published = publish_network(overlap_network(RECORDS), get_policy("strict", suppress_below=5, round_to=1))
    # one family in three services is below 5: suppressed; zero is not a small count
    assert published.many_services == {3: None, 5: 0, 7: 0}


def test_missing_family_column_names_the_field() -> None:
    with pytest.raises(NetworkError, match="no field 'household'"):
        overlap_network(RECORDS, family="household")


def test_crisis_referral_share_from_published_counts() -> None:
    assert crisis_referral_share(RECORDS, ["police", "a&e"], OPEN) == pytest.approx(3 / 7)
    assert crisis_referral_share(RECORDS.drop(columns="referral_source"), ["police"], OPEN) is None
    assert crisis_referral_share(RECORDS, ["police", "a&e"], get_policy("strict", suppress_below=5)) is None


def test_unmet_need_in_a_tiny_directory(tmp_path: Path) -> None:
    path = tmp_path / "services.yaml"
    path.write_text(TINY_DIRECTORY, encoding="utf-8")
    codebook = read_codebook(CODEBOOK)
    directory = read_services_yaml(path, codebook=codebook)
    assert read_directory(path, format="yaml", codebook=codebook).services.equals(directory.services)
    result = answer_challenge(directory, codebook, many_services={3: 1}, crisis_share=0.25)
    assert isinstance(result, ChallengeResult)
    assert "NEE01" in result.summary["unmet"]
    assert "NEE02" not in result.summary["unmet"]
    assert "NEE02" in result.summary["office_hours_only"]
    assert result.summary["possible_duplication"] == []
    met = result.needs.set_index("code_id")["n_services"]
    assert met["NEE02"] == 1 and met["NEE01"] == 0
    assert list(result.answers["number"]) == [1, 2, 3, 4, 5, 6]
    assert result.markdown.startswith("# Challenge questions\n\n## 1. ")
    assert result.markdown.endswith("\n") and "Someone to talk to out of hours" in result.markdown


def test_without_a_codebook_the_challenge_is_answered_not_a_traceback(tmp_path: Path) -> None:
    """A council's records with no coding section: no codebook, no notes; the questions say what is missing."""
    path = tmp_path / "services.yaml"
    path.write_text(TINY_DIRECTORY, encoding="utf-8")
    directory = read_services_yaml(path)
    result = answer_challenge(directory, None, crisis_share=0.25, crisis_sources=["police", "a&e"])
    assert result.needs.empty and result.summary == {"unmet": [], "possible_duplication": [], "office_hours_only": []}
    answers = result.answers.set_index("number")["evidence"]
    assert answers[1].startswith("No codebook in this run (no 'coding:' section)")
    assert "The directory lists 1 active service; 0 open in the evenings or at weekends." in answers[1]
    assert "25% of referrals came through crisis routes (police and a&e)." in answers[3]
    assert "No notes were coded in this run" in answers[5]
