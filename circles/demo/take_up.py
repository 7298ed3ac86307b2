"""Synthetic take-up records: families placed in the borough's LSOAs and their episodes with each agency.

See :mod:`circles.demo.synthetic` for the spatial model. Everything is drawn from the one generator passed in,
in a fixed order, so the same seed gives the same records.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from circles.demo.agencies import (
    _ADULT_BANDS,
    _AGENCIES,
    _AGENCY,
    _ALCOHOL_ADULTS_PER_YEAR,
    _CHILD_BAND_WEIGHTS,
    _CHILD_BANDS,
    _CHILDREN_ENGAGED_PER_YEAR,
    _DAY0,
    _HAS_CHILDREN_BY_BAND,
    _INDEX_BAND_WEIGHTS,
    _LAST_DAY,
    _N_GP_PRACTICES,
    _RETURNING_SHARE,
    _YEARS,
    _Agency,
)
from circles.demo.design import HOTSPOT_INTENSITY, PLANTED_HOTSPOTS, TAKE_UP_COLUMNS, SyntheticDataError
from circles.geo.areas import assign_areas, points_from_grid
from circles.geo.layers import embedded_layer, read_postcode_directory

# ----------------------------------------------------------------------------------------------------------
# Geography


def _postcodes_by_lsoa() -> tuple[np.ndarray, list[np.ndarray]]:
    """LSOA codes (sorted) and, for each, the sorted directory postcodes whose grid reference lies in it."""
    directory = read_postcode_directory()
    layer = embedded_layer("lsoa11")
    placed = assign_areas(points_from_grid(directory), layer).placed
    codes = layer.areas["area_code"].to_numpy(dtype=str)
    groups = placed.groupby(placed["lsoa11_code"].astype(str))["pcds"]
    postcodes = [
        np.sort(groups.get_group(code).to_numpy(dtype=str)) if code in groups.groups else None for code in codes
    ]
    empty = [code for code, found in zip(codes, postcodes, strict=True) if found is None]
    if empty:  # the embedded extract covers every LSOA; a replaced CIRCLES_GEO_DIR might not
        raise SyntheticDataError(f"The postcode directory has no postcode in LSOA(s) {', '.join(empty[:5])}.")
    missing = sorted(set(PLANTED_HOTSPOTS) - set(codes))
    if missing:
        raise SyntheticDataError(f"The LSOA layer lacks the planted hotspot(s) {', '.join(missing)}.")
    return codes, postcodes


# ----------------------------------------------------------------------------------------------------------
# Take-up records


def _pick(rng: np.random.Generator, weights: tuple[float, ...] | np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _pick_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One index per row of a probability matrix (rows sum to 1)."""
    cumulative = np.cumsum(probs, axis=1)
    cumulative[:, -1] = 1.0
    return (rng.random(len(probs))[:, None] >= cumulative).sum(axis=1)


def _near(rng: np.random.Generator, anchor: np.ndarray, mean: float, sd: float) -> np.ndarray:
    """Days near the anchors (normal offsets); days falling outside the window are redrawn uniformly."""
    days = np.rint(anchor + rng.normal(mean, sd, len(anchor))).astype(np.int64)
    outside = (days < 0) | (days > _LAST_DAY)
    days[outside] = rng.integers(0, _LAST_DAY + 1, int(outside.sum()))
    return days


def _episodes(rng: np.random.Generator, agency: _Agency, person: np.ndarray, referral: np.ndarray) -> pd.DataFrame:
    """Episodes for the given people and referral days: service, source, start, end and outcome.

    Days are integers from 2009-04-01; ``end`` is -1 for an episode still open on 2011-03-31, whose outcome
    is then ``"Ongoing"``.
    """
    n = len(person)
    referral = np.asarray(referral, dtype=np.int64)
    offer = _pick(rng, [w for _, _, w in agency.offers], n)
    source = _pick(rng, [w for _, w in agency.sources], n)
    outcome = _pick(rng, [w for _, w, _ in agency.outcomes], n)
    wait = np.rint(rng.exponential(agency.wait_days, n)) if agency.wait_days else np.zeros(n)
    start = np.minimum(referral + wait.astype(np.int64), _LAST_DAY)
    mean_days = np.array([d for _, _, d in agency.outcomes], dtype=float)[outcome]
    length = np.where(mean_days > 0, np.ceil(rng.gamma(2.0, np.maximum(mean_days, 1) / 2.0)), 0).astype(np.int64)
    end = start + length
    ongoing = end > _LAST_DAY
    outcomes = np.array([o for o, _, _ in agency.outcomes], dtype=object)[outcome]
    return pd.DataFrame(
        {
            "person": np.asarray(person, dtype=np.int64),
            "service": np.array([s for s, _, _ in agency.offers], dtype=object)[offer],
            "provider": np.array([p for _, p, _ in agency.offers], dtype=object)[offer],
            "referral_source": np.array([s for s, _ in agency.sources], dtype=object)[source],
            "referral": referral,
            "start": start,
            "end": np.where(ongoing, -1, end),
            "outcome": np.where(ongoing, "Ongoing", outcomes),
        }
    )


def _contacts(
    rng: np.random.Generator, anchors: pd.DataFrame, share: float, extra: float, mean: float, sd: float
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``anchors`` (alcohol episodes) that lead to contacts, repeated per contact, and contact days.

    A ``share`` of episodes lead to ``1 + Poisson(extra)`` contacts each, dated ``mean +- sd`` days from the
    episode's referral.
    """
    chosen = np.flatnonzero(rng.random(len(anchors)) < share)
    rows = np.repeat(chosen, 1 + rng.poisson(extra, len(chosen)))
    return rows, _near(rng, anchors["referral"].to_numpy()[rows], mean, sd)


def _families(rng: np.random.Generator, n_families: int, lsoa_codes: np.ndarray) -> dict[str, np.ndarray]:
    """Family homes and members. Person ``f`` is family ``f``'s index adult (the one in alcohol treatment)."""
    # homes: baseline weight with a seeded jitter, planted hotspots raised
    weight = rng.uniform(0.7, 1.3, len(lsoa_codes))
    weight[np.isin(lsoa_codes, PLANTED_HOTSPOTS)] *= HOTSPOT_INTENSITY
    home = _pick(rng, weight, n_families)
    practice = rng.integers(0, _N_GP_PRACTICES, n_families)

    index_band = _pick(rng, _INDEX_BAND_WEIGHTS, n_families)
    index_sex = np.where(rng.random(n_families) < 0.62, "M", "F")

    has_partner = rng.random(n_families) < 0.45
    partner_family = np.flatnonzero(has_partner)
    shift = _pick(rng, (0.25, 0.55, 0.20), len(partner_family)) - 1
    partner_band = np.clip(index_band[partner_family] + shift, 0, len(_ADULT_BANDS) - 1)
    same_sex = rng.random(len(partner_family)) < 0.05
    partner_sex = np.where((index_sex[partner_family] == "M") ^ same_sex, "F", "M")

    has_children = rng.random(n_families) < np.array(_HAS_CHILDREN_BY_BAND)[index_band]
    n_children = np.where(has_children, np.minimum(1 + rng.poisson(0.7, n_families), 5), 0)
    child_family = np.repeat(np.arange(n_families), n_children)
    child_band = _pick_rows(rng, _CHILD_BAND_WEIGHTS[index_band[child_family]])
    child_sex = np.where(rng.random(len(child_family)) < 0.5, "F", "M")

    return {
        "home": home,
        "practice": practice,
        "family": np.concatenate([np.arange(n_families), partner_family, child_family]),
        "role": np.concatenate(
            [
                np.full(n_families, "index"),
                np.full(len(partner_family), "partner"),
                np.full(len(child_family), "child"),
            ]
        ),
        "sex": np.concatenate([index_sex, partner_sex, child_sex]),
        "age_band": np.concatenate(
            [
                np.array(_ADULT_BANDS)[index_band],
                np.array(_ADULT_BANDS)[partner_band],
                np.array(_CHILD_BANDS)[child_band],
            ]
        ),
    }


def _take_up_tables(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """All agencies' extracts, keyed by file stem, as text columns in :data:`TAKE_UP_COLUMNS` order."""
    lsoa_codes, postcodes = _postcodes_by_lsoa()

    treated = [round(_ALCOHOL_ADULTS_PER_YEAR * rng.uniform(0.97, 1.03)) for _ in _YEARS]
    engaged = [round(_CHILDREN_ENGAGED_PER_YEAR * rng.uniform(0.95, 1.05)) for _ in _YEARS]
    returning = round(treated[1] * _RETURNING_SHARE)
    n_families = treated[0] + treated[1] - returning

    people = _families(rng, n_families, lsoa_codes)
    home_postcode = _home_postcodes(rng, people["home"], postcodes)
    person_family = people["family"]
    role = people["role"]

    treatment = _alcohol_treatment(rng, treated, returning, n_families)
    treatment["family"] = person_family[treatment["person"].to_numpy()]
    anchors = treatment[["person", "family", "year", "referral"]]

    tables: dict[str, pd.DataFrame] = {"specialist_alcohol": treatment}
    tables["children_young_people"] = _children_engaged(rng, people, anchors, engaged)
    tables["family_intervention"] = _family_intervention(rng, anchors, person_family, role)
    tables.update(_police_and_community_safety(rng, anchors, person_family, role, n_families))
    tables.update(_health_and_housing(rng, anchors, people))
    client_number, family_number = _pseudo_ids(rng, tables, len(person_family), n_families)

    out: dict[str, pd.DataFrame] = {}
    for agency in _AGENCIES:
        out[agency.key] = _as_text(
            rng, tables[agency.key], client_number, family_number, person_family, people, home_postcode
        )
    return out


def _home_postcodes(rng: np.random.Generator, home: np.ndarray, postcodes: list[np.ndarray]) -> np.ndarray:
    """Each family's postcode: one drawn uniformly from the directory postcodes in its home LSOA."""
    home_postcode = np.empty(len(home), dtype=object)
    for h in np.unique(home):
        mask = home == h
        home_postcode[mask] = postcodes[h][rng.integers(0, len(postcodes[h]), int(mask.sum()))]
    return home_postcode


def _alcohol_treatment(rng: np.random.Generator, treated: list[int], returning: int, n_families: int) -> pd.DataFrame:
    """Specialist alcohol treatment: one episode per treated adult per year, with a ``year`` column.

    Person ``f`` is family ``f``'s index adult; ``returning`` of 2010/11's adults were treated in 2009/10 too.
    """
    alcohol = _AGENCY["specialist_alcohol"]
    first_year, first_day, last_day = _YEARS[0][0], _YEARS[0][1], _YEARS[0][2]
    year0 = _episodes(rng, alcohol, np.arange(treated[0]), rng.integers(first_day, last_day + 1, treated[0]))
    year0["year"] = first_year
    # returning adults: re-referred in 2010/11 at least two weeks after a closed 2009/10 episode
    second_year, second_first, second_last = _YEARS[1]
    closed = year0.index[(year0["end"] >= 0) & (year0["end"] + 14 <= second_last - 30)].to_numpy()
    back = np.sort(rng.choice(closed, size=returning, replace=False))
    earliest = np.maximum(year0["end"].to_numpy()[back] + 14, second_first)
    back_day = earliest + np.floor(rng.random(returning) * (second_last - earliest + 1)).astype(np.int64)
    new_people = np.arange(treated[0], n_families)
    year1 = _episodes(
        rng,
        alcohol,
        np.concatenate([year0["person"].to_numpy()[back], new_people]),
        np.concatenate([back_day, rng.integers(second_first, second_last + 1, len(new_people))]),
    )
    year1["year"] = second_year
    return pd.concat([year0, year1], ignore_index=True)


def _children_engaged(
    rng: np.random.Generator, people: dict[str, np.ndarray], anchors: pd.DataFrame, engaged: list[int]
) -> pd.DataFrame:
    """Children and young people: a fixed number engaged each year, children of that year's treated adults."""
    person_family = people["family"]
    children = np.flatnonzero((people["role"] == "child") & np.isin(people["age_band"], ("5-9", "10-15", "16-17")))
    child_parts = []
    for (year, year_first, year_last), n_engaged in zip(_YEARS, engaged, strict=True):
        year_anchor = anchors[anchors["year"] == year].drop_duplicates("family").set_index("family")["referral"]
        eligible = children[np.isin(person_family[children], year_anchor.index.to_numpy())]
        chosen = np.sort(rng.choice(eligible, size=min(n_engaged, len(eligible)), replace=False))
        earliest = np.maximum(year_anchor.reindex(person_family[chosen]).to_numpy(), year_first)
        day = earliest + np.floor(rng.random(len(chosen)) * (year_last - earliest + 1)).astype(np.int64)
        child_parts.append(_episodes(rng, _AGENCY["children_young_people"], chosen, day))
    return pd.concat(child_parts, ignore_index=True)


def _family_intervention(
    rng: np.random.Generator, anchors: pd.DataFrame, person_family: np.ndarray, role: np.ndarray
) -> pd.DataFrame:
    """Family Intervention Programme: whole families with children, the same episode for every member."""
    with_children = np.isin(anchors["family"].to_numpy(), person_family[role == "child"])
    rows, day = _contacts(rng, anchors[with_children].reset_index(drop=True), 0.12, 0.0, 30, 60)
    fip = _episodes(rng, _AGENCY["family_intervention"], anchors["person"].to_numpy()[with_children][rows], day)
    fip["family"] = person_family[fip["person"].to_numpy()]
    members = pd.DataFrame({"family": person_family, "member": np.arange(len(person_family))})
    fip = fip.merge(members, on="family", how="left", sort=False)
    fip["person"] = fip.pop("member")
    return fip


def _police_and_community_safety(
    rng: np.random.Generator, anchors: pd.DataFrame, person_family: np.ndarray, role: np.ndarray, n_families: int
) -> dict[str, pd.DataFrame]:
    """Police incidents (index adult or partner), then community safety casework following many of them."""
    partner_of = np.full(n_families, -1)
    partners = np.flatnonzero(role == "partner")
    partner_of[person_family[partners]] = partners

    rows, day = _contacts(rng, anchors, 0.22, 0.4, -30, 90)
    person = anchors["person"].to_numpy()[rows]
    partner = partner_of[anchors["family"].to_numpy()[rows]]
    use_partner = (partner >= 0) & (rng.random(len(rows)) < 0.25)
    police = _episodes(rng, _AGENCY["police"], np.where(use_partner, partner, person), day)
    had_police = np.isin(np.arange(len(anchors)), rows)
    chosen = np.flatnonzero(rng.random(len(anchors)) < np.where(had_police, 0.35, 0.04))
    day = _near(rng, anchors["referral"].to_numpy()[chosen], 10, 60)
    community_safety = _episodes(rng, _AGENCY["community_safety"], anchors["person"].to_numpy()[chosen], day)
    return {"police": police, "community_safety": community_safety}


def _health_and_housing(
    rng: np.random.Generator, anchors: pd.DataFrame, people: dict[str, np.ndarray]
) -> dict[str, pd.DataFrame]:
    """A&E attendances, GP consultations (adults, and a few children), housing, outreach and the DAT."""
    tables: dict[str, pd.DataFrame] = {}
    person_family = people["family"]
    rows, day = _contacts(rng, anchors, 0.28, 0.5, -15, 90)
    tables["ae_royal_blackburn"] = _episodes(
        rng, _AGENCY["ae_royal_blackburn"], anchors["person"].to_numpy()[rows], day
    )

    rows, day = _contacts(rng, anchors, 0.75, 0.15, -20, 60)
    gp_person = anchors["person"].to_numpy()[rows]
    first_anchor = anchors.drop_duplicates("family").set_index("family")["referral"]
    all_children = np.flatnonzero(people["role"] == "child")
    sick = all_children[rng.random(len(all_children)) < 0.08]
    sick_day = _near(rng, first_anchor.reindex(person_family[sick]).to_numpy(), 0, 120)
    gp = _episodes(rng, _AGENCY["gp"], np.concatenate([gp_person, sick]), np.concatenate([day, sick_day]))
    practice = people["practice"][person_family[gp["person"].to_numpy()]]
    gp["provider"] = [f"GP practice {p + 1:02d}" for p in practice]
    tables["gp"] = gp

    first = anchors.drop_duplicates("family").reset_index(drop=True)
    rows, day = _contacts(rng, first, 0.22, 0.0, 0, 90)
    tables["housing"] = _episodes(rng, _AGENCY["housing"], first["person"].to_numpy()[rows], day)

    rows, day = _contacts(rng, anchors, 0.10, 0.0, 20, 40)
    tables["health_outreach"] = _episodes(rng, _AGENCY["health_outreach"], anchors["person"].to_numpy()[rows], day)
    rows, day = _contacts(rng, anchors, 0.15, 0.0, 10, 30)
    tables["drug_alcohol_team"] = _episodes(rng, _AGENCY["drug_alcohol_team"], anchors["person"].to_numpy()[rows], day)
    return tables


def _pseudo_ids(
    rng: np.random.Generator, tables: dict[str, pd.DataFrame], n_people: int, n_families: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pseudo id numbers for the people (-1 for those who appear nowhere) and families, in a shuffled order."""
    appearing = np.unique(np.concatenate([t["person"].to_numpy() for t in tables.values()]))
    client_number = np.full(n_people, -1)
    client_number[appearing] = rng.permutation(len(appearing)) + 1
    family_number = rng.permutation(n_families) + 1
    return client_number, family_number


def _dates(days: pd.Series) -> np.ndarray:
    """ISO dates from day numbers; -1 (still open) becomes blank."""
    values = days.to_numpy(dtype=np.int64)
    text = (_DAY0 + np.maximum(values, 0)).astype(str).astype(object)
    text[values < 0] = ""
    return text


def _as_text(
    rng: np.random.Generator,
    table: pd.DataFrame,
    client_number: np.ndarray,
    family_number: np.ndarray,
    person_family: np.ndarray,
    people: dict[str, np.ndarray],
    home_postcode: np.ndarray,
) -> pd.DataFrame:
    """Lay an agency's episodes out as the extract: ids, person fields, postcode, ISO dates, sorted."""
    person = table["person"].to_numpy()
    family = person_family[person]
    frame = pd.DataFrame(
        {
            "client_id": [f"C{n:06d}" for n in client_number[person]],
            "family_id": [f"F{n:05d}" for n in family_number[family]],
            "age_band": people["age_band"][person],
            "sex": people["sex"][person],
            "postcode": home_postcode[family],
            "service": table["service"].to_numpy(),
            "provider": table["provider"].to_numpy(),
            "referral_source": table["referral_source"].to_numpy(),
            "referral_date": _dates(table["referral"]),
            "start_date": _dates(table["start"]),
            "end_date": _dates(table["end"]),
            "outcome": table["outcome"].to_numpy(),
            "synthetic": "SYNTHETIC",
        }
    )
    frame = frame.sort_values(["referral_date", "client_id", "start_date"], kind="stable").reset_index(drop=True)
    # about one row in ten keeps a postcode as typed: lower case, no space or a double space
    style = rng.random(len(frame))
    postcode = frame["postcode"].astype(str)
    frame["postcode"] = np.select(
        [style < 0.04, style < 0.07, style < 0.10],
        [
            postcode.str.lower(),
            postcode.str.replace(" ", "", regex=False),
            postcode.str.replace(" ", "  ", regex=False),
        ],
        default=postcode,
    )
    return frame[list(TAKE_UP_COLUMNS)]
