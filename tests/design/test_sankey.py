"""The journeys Sankey: every link a sum of published journey counts, nothing suppressed shown."""

from __future__ import annotations

import pandas as pd

from circles.design import OTHER_JOURNEYS, journeys_sankey, sankey_links
from circles.design.sankey import JOURNEY_ENDS


def _journeys() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "journey": ["GP → Alcohol", "GP → Alcohol → GP", "A&E → GP", "GP", "A&E → Police", OTHER_JOURNEYS],
            "step_1": ["GP", "GP", "A&E", "GP", "A&E", ""],
            "step_2": ["Alcohol", "Alcohol", "GP", "", "Police", ""],
            "step_3": ["", "GP", "", "", "", ""],
            "families": pd.array([40, 15, 10, 25, pd.NA, 30], dtype="Int64"),
            "families_suppressed": [False, False, False, False, True, False],
        }
    )


def test_links_add_up_the_published_journeys_that_make_each_move():
    links = sankey_links(_journeys()).set_index(["source", "target"])["families"].to_dict()
    assert links[("1. GP", "2. Alcohol")] == 55
    assert links[("2. Alcohol", "3. GP")] == 15
    assert links[("2. Alcohol", f"3. {JOURNEY_ENDS}")] == 40
    assert links[("2. GP", f"3. {JOURNEY_ENDS}")] == 10
    assert links[("1. GP", f"2. {JOURNEY_ENDS}")] == 25  # a one-step journey: no second service
    # the suppressed journey and 'Other journeys' are not drawn: no Police node, nothing from the Other row
    assert not any("Police" in s or "Police" in t for s, t in links)
    assert sum(v for (s, _), v in links.items() if s.startswith("1.")) == 40 + 15 + 10 + 25


def test_the_figure_says_how_many_families_it_leaves_out():
    figure = journeys_sankey(_journeys(), title="Journeys", unshown=30)
    sankey = figure.data[0]
    assert list(sankey.node.label[-2:]) == [f"2. {JOURNEY_ENDS}", f"3. {JOURNEY_ENDS}"]
    assert sorted(sankey.link.value) == sorted(sankey_links(_journeys())["families"])
    assert "30 families in smaller or suppressed journeys are not shown" in figure.layout.title.text
