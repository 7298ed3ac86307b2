"""Tests for the synthetic demo inputs (circles.demo.synthetic)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from circles.demo.synthetic import (
    DEFAULT_SEED,
    PLANTED_CORES,
    PLANTED_HOTSPOTS,
    SYNTHETIC_NOTICE,
    TAKE_UP_COLUMNS,
    DemoData,
    SyntheticDataError,
    generate_demo_data,
)
from circles.errors import CirclesError
from circles.geo.areas import assign_areas, points_from_grid
from circles.geo.layers import embedded_layer, read_postcode_directory
from circles.geo.postcodes import normalise_postcodes

AGENCY_FILES = {
    "specialist_alcohol.csv",
    "children_young_people.csv",
    "family_intervention.csv",
    "community_safety.csv",
    "police.csv",
    "ae_royal_blackburn.csv",
    "gp.csv",
    "housing.csv",
    "health_outreach.csv",
    "drug_alcohol_team.csv",
}
CHILD_BANDS = {"0-4", "5-9", "10-15", "16-17"}
ADULT_BANDS = {"18-24", "25-34", "35-44", "45-54", "55-64", "65+"}


@pytest.fixture(scope="module")
def demo_for(tmp_path_factory: pytest.TempPathFactory):
    """Generate each seed once per module: ``demo_for(seed) -> DemoData``."""
    made: dict[int, DemoData] = {}

    def make(seed: int) -> DemoData:
        if seed not in made:
            made[seed] = generate_demo_data(tmp_path_factory.mktemp(f"demo_{seed}"), seed=seed)
        return made[seed]

    return make


@pytest.fixture(scope="module")
def demo(demo_for) -> DemoData:
    return demo_for(DEFAULT_SEED)


def read_take_up(demo: DemoData) -> pd.DataFrame:
    """All take-up rows, as text, with the agency (file stem) added."""
    frames = [
        pd.read_csv(path, dtype=str, keep_default_na=False).assign(agency=path.stem) for path in demo.take_up_files
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def take_up(demo) -> pd.DataFrame:
    return read_take_up(demo)


@pytest.fixture(scope="module")
def directory() -> pd.DataFrame:
    return read_postcode_directory()


@pytest.fixture(scope="module")
def lsoa_layer():
    return embedded_layer("lsoa11")


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def financial_year(dates: pd.Series) -> pd.Series:
    return dates.map(lambda d: "2009/10" if d < "2010-04-01" else "2010/11")


# --- reproducibility ----------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(demo, tmp_path):
    again = generate_demo_data(tmp_path / "again", seed=DEFAULT_SEED)
    first, second = files_under(demo.folder), files_under(again.folder)
    assert sorted(first) == sorted(second)
    assert len(first) == len(demo.take_up_files) + len(demo.notes_files) + len(demo.pilot_files) + 1  # + README
    for name in first:
        assert first[name] == second[name], name
    assert again.n_records == demo.n_records


def test_different_seed_changes_every_take_up_file(demo, demo_for):
    other = demo_for(1)
    assert [p.name for p in other.take_up_files] == [p.name for p in demo.take_up_files]
    for mine, theirs in zip(demo.take_up_files, other.take_up_files, strict=True):
        assert mine.read_bytes() != theirs.read_bytes(), mine.name


def test_regenerating_into_the_same_folder_replaces_files(demo, tmp_path):
    target = tmp_path / "demo"
    generate_demo_data(target, seed=5)
    generate_demo_data(target, seed=DEFAULT_SEED)
    assert files_under(target) == files_under(demo.folder)


# --- layout -------------------------------------------------------------------------------------------------


def test_files_written_and_described(demo, take_up):
    assert {p.name for p in demo.take_up_files} == AGENCY_FILES
    assert all(p.parent == demo.folder / "take_up" for p in demo.take_up_files)
    assert 4 <= len(demo.notes_files) <= 6
    assert all(p.suffix == ".md" and p.parent == demo.folder / "notes" for p in demo.notes_files)
    assert demo.seed == DEFAULT_SEED
    assert demo.n_records == len(take_up)
    assert 3000 <= demo.n_records <= 5000
    for path in demo.take_up_files:
        header = path.read_text(encoding="utf-8").split("\n", 1)[0]
        assert header.split(",") == list(TAKE_UP_COLUMNS), path.name
    assert b"\r\n" not in demo.take_up_files[0].read_bytes()


def test_readme_names_seed_files_and_hotspots(demo):
    text = (demo.folder / "README.txt").read_text(encoding="utf-8")
    assert text.split("\n", 1)[0] == SYNTHETIC_NOTICE
    assert f"Seed: {DEFAULT_SEED}" in text
    for path in (*demo.take_up_files, *demo.notes_files):
        assert path.name in text
    for code in PLANTED_HOTSPOTS:
        assert code in text
    n_alcohol = len(pd.read_csv(demo.folder / "take_up" / "specialist_alcohol.csv"))
    assert f"specialist_alcohol.csv ({n_alcohol} rows)" in text


# --- synthetic labelling ------------------------------------------------------------------------------------


def test_every_take_up_row_is_labelled_synthetic(take_up):
    assert (take_up["synthetic"] == "SYNTHETIC").all()


def test_every_note_starts_with_the_notice_and_has_speaker_turns(demo):
    for path in demo.notes_files:
        lines = path.read_text(encoding="utf-8").split("\n")
        assert lines[0] == SYNTHETIC_NOTICE, path.name
        turns = [line for line in lines if ": " in line and not line.startswith(("-", "#"))]
        assert len(turns) >= 5, path.name


def test_notes_voice_the_case_study_findings(demo):
    text = " ".join(p.read_text(encoding="utf-8") for p in demo.notes_files).lower()
    for phrase in (
        "stop drinking",
        "a good future for my children",
        "strong family relationships",
        "know what support exists",
        "feel of value",
        "relapse",
        "nothing to do",
        "crisis point",
        "nine to five",
        "telling my story again",
        "joined up",
        "'referred' feels like failure",
    ):
        assert phrase in text, phrase


def test_notes_vary_with_the_seed(demo, demo_for):
    other = demo_for(1)
    assert [p.name for p in other.notes_files] == [p.name for p in demo.notes_files]
    assert any(a.read_bytes() != b.read_bytes() for a, b in zip(demo.notes_files, other.notes_files, strict=True))


# --- postcodes ----------------------------------------------------------------------------------------------


def test_every_postcode_normalises_to_a_directory_postcode(take_up, directory):
    normal = normalise_postcodes(take_up["postcode"])
    assert normal["valid"].all()
    assert normal["pcds"].isin(directory["pcds"]).all()


def test_about_one_postcode_in_ten_is_messy_and_families_share_one(take_up):
    normal = normalise_postcodes(take_up["postcode"])["pcds"]
    messy = (take_up["postcode"] != normal).mean()
    assert 0.06 <= messy <= 0.14
    styles = take_up.loc[take_up["postcode"] != normal, "postcode"]
    assert styles.str.contains("  ").any()  # double space
    assert (~styles.str.contains(" ")).any()  # no space
    assert (styles == styles.str.lower()).any()  # lower case
    assert normal.groupby(take_up["family_id"]).nunique().max() == 1


# --- spatial model ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [DEFAULT_SEED, 1, 2, 3])
def test_planted_hotspots_are_the_highest_lsoas(seed, demo_for, directory, lsoa_layer):
    rows = read_take_up(demo_for(seed))
    people = rows.drop_duplicates("client_id")[["client_id", "postcode"]].copy()
    people["pcds"] = normalise_postcodes(people["postcode"])["pcds"].astype(str)
    located = people.merge(directory, on="pcds", how="inner").reset_index(drop=True)
    assert len(located) == len(people)
    placement = assign_areas(points_from_grid(located), lsoa_layer)
    assert placement.counts["unplaced"] == 0
    counts = placement.placed.groupby("lsoa11_code")["client_id"].nunique().sort_values(ascending=False)
    n = len(PLANTED_HOTSPOTS)
    assert set(counts.index[:n]) == set(PLANTED_HOTSPOTS)
    assert counts.iloc[n - 1] > counts.iloc[n]  # no tie at the boundary
    assert counts.index.nunique() >= 80  # homes spread across the borough, not only the hotspots


def test_planted_hotspots_are_neighbourhoods_around_their_cores(lsoa_layer):
    from circles.stats.hotspots import spatial_weights

    assert len(PLANTED_HOTSPOTS) == len(set(PLANTED_HOTSPOTS)) == 15
    assert set(PLANTED_HOTSPOTS) <= set(lsoa_layer.areas["area_code"])
    neighbours = spatial_weights(lsoa_layer.areas).w.neighbors
    expected = set(PLANTED_CORES).union(*(neighbours[core] for core in PLANTED_CORES))
    assert set(PLANTED_HOTSPOTS) == expected


def test_planted_cores_are_in_pilot_wards(shared_geo):
    lookup = pd.read_csv(shared_geo / "lsoa11_to_ward2017.csv", dtype=str).set_index("LSOA11CD")["WD17NM"]
    assert lookup.reindex(list(PLANTED_CORES)).tolist() == ["Bastwell", "Shadsworth with Whitebirk"]


# --- volumes and overlap ------------------------------------------------------------------------------------


def test_adults_in_specialist_alcohol_treatment_per_year(take_up):
    alcohol = take_up[take_up["agency"] == "specialist_alcohol"]
    assert set(alcohol["age_band"]) <= ADULT_BANDS
    per_year = alcohol.groupby(financial_year(alcohol["referral_date"]))["client_id"].nunique()
    assert list(per_year.index) == ["2009/10", "2010/11"]
    for year, n in per_year.items():
        assert 628 * 0.9 <= n <= 628 * 1.1, (year, n)
    assert set(alcohol["provider"]) == {
        "Evolve – Inward House",
        "Greater Manchester West",
        "Lifeline",
        "VOICE",
    }


def test_children_engaged_per_year(take_up):
    children = take_up[take_up["agency"] == "children_young_people"]
    assert set(children["age_band"]) <= CHILD_BANDS
    per_year = children.groupby(financial_year(children["referral_date"]))["client_id"].nunique()
    assert list(per_year.index) == ["2009/10", "2010/11"]
    for year, n in per_year.items():
        assert 103 * 0.85 <= n <= 103 * 1.15, (year, n)


def test_people_appear_in_several_agencies(take_up):
    agencies_per_client = take_up.groupby("client_id")["agency"].nunique()
    assert (agencies_per_client >= 3).sum() > 0
    alcohol_clients = set(take_up.loc[take_up["agency"] == "specialist_alcohol", "client_id"])
    gp_clients = set(take_up.loc[take_up["agency"] == "gp", "client_id"])
    assert len(alcohol_clients & gp_clients) / len(alcohol_clients) > 0.6  # most also see their GP
    for agency in ("ae_royal_blackburn", "police", "housing"):
        clients = set(take_up.loc[take_up["agency"] == agency, "client_id"])
        assert 0.1 < len(alcohol_clients & clients) / len(alcohol_clients) < 0.6, agency


def test_a_client_is_the_same_person_in_every_file(take_up):
    per_client = take_up.groupby("client_id")[["family_id", "age_band", "sex", "postcode"]].nunique()
    assert (per_client[["family_id", "age_band", "sex"]] == 1).all().all()
    assert take_up["client_id"].str.fullmatch(r"C\d{6}").all()
    assert take_up["family_id"].str.fullmatch(r"F\d{5}").all()
    assert set(take_up["sex"]) == {"F", "M"}


def test_families_link_adults_and_children(take_up):
    is_child = take_up["age_band"].isin(CHILD_BANDS)
    assert take_up["age_band"].isin(CHILD_BANDS | ADULT_BANDS).all()
    adults = take_up.loc[~is_child].groupby("family_id")["client_id"].nunique()
    children = take_up.loc[is_child].groupby("family_id")["client_id"].nunique()
    both = adults.index.intersection(children.index)
    assert len(both) >= 1
    # every child engaged by children's services belongs to a family with an adult in alcohol treatment
    cyp_families = set(take_up.loc[take_up["agency"] == "children_young_people", "family_id"])
    alcohol_families = set(take_up.loc[take_up["agency"] == "specialist_alcohol", "family_id"])
    assert cyp_families <= alcohol_families


# --- dates --------------------------------------------------------------------------------------------------


def test_dates_are_iso_ordered_and_within_two_financial_years(take_up):
    iso = r"\d{4}-\d{2}-\d{2}"
    assert take_up["referral_date"].str.fullmatch(iso).all()
    assert take_up["start_date"].str.fullmatch(iso).all()
    open_ = take_up["end_date"] == ""
    assert take_up.loc[~open_, "end_date"].str.fullmatch(iso).all()
    referral = pd.to_datetime(take_up["referral_date"], format="%Y-%m-%d")
    start = pd.to_datetime(take_up["start_date"], format="%Y-%m-%d")
    end = pd.to_datetime(take_up.loc[~open_, "end_date"], format="%Y-%m-%d")
    first, last = pd.Timestamp("2009-04-01"), pd.Timestamp("2011-03-31")
    for dates in (referral, start, end):
        assert dates.min() >= first
        assert dates.max() <= last
    assert (start >= referral).all()
    assert (end >= start[~open_]).all()
    assert 0 < open_.sum() < len(take_up) * 0.2
    assert (take_up.loc[open_, "outcome"] == "Ongoing").all()


# --- errors -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True, None])
def test_bad_seed_is_a_user_error(seed, tmp_path):
    with pytest.raises(SyntheticDataError, match="seed"):
        generate_demo_data(tmp_path / "out", seed=seed)
    assert not (tmp_path / "out").exists()


def test_unwritable_folder_is_a_user_error(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(SyntheticDataError, match="not a folder"):
        generate_demo_data(blocker)
    with pytest.raises(CirclesError, match="Cannot write"):
        generate_demo_data(blocker / "inside")
