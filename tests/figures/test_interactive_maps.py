"""Interactive maps: layers and dropdown, hover text never leaks a suppressed count, and pages that work offline."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from plotly.offline import get_plotlyjs
from shapely.geometry import box

from circles.figures.interactive_maps import SUPPRESSED_COLOUR, hover_text, interactive_map, write_html
from circles.geo.layers import embedded_layer

RAW_SECRET = 6  # the exact count of the suppressed area: must never reach the figure


def synthetic(n: int = 4, *, suppressed: tuple[int, ...] = (1,)) -> gpd.GeoDataFrame:
    """A row of square areas in EPSG:27700 (Blackburn), with a raw count kept in a separate column."""
    frame = gpd.GeoDataFrame(
        {
            "area_code": [f"X{chr(65 + i)}" for i in range(n)],
            "area_name": [f"Area {chr(65 + i)}" for i in range(n)],
            "people": [15.0 + 10 * i for i in range(n)],
            "people_suppressed": False,
            "secret_raw_count": [14 + 10 * i for i in range(n)],
        },
        geometry=[box(368000 + 1000 * i, 428000, 369000 + 1000 * i, 429000) for i in range(n)],
        crs="EPSG:27700",
    )
    for i in suppressed:
        frame.loc[i, ["people", "people_suppressed", "secret_raw_count"]] = [np.nan, True, RAW_SECRET]
    return frame


def visible(figure) -> list[bool]:
    return [bool(t.visible) for t in figure.data]


def test_one_trace_per_layer_plus_grey_suppressed_traces_and_a_dropdown():
    tables = {"lsoa": synthetic(4, suppressed=(1, 2)), "ward": synthetic(3, suppressed=())}
    figure = interactive_map(tables, column="people", title="People", titles={"lsoa": "LSOA (2011)", "ward": "Wards"})
    assert [t.type for t in figure.data] == ["choropleth"] * 3
    assert figure.layout.meta["layers"] == ["lsoa", "lsoa", "ward"]
    assert [t.name for t in figure.data] == ["LSOA (2011)", "Suppressed: small number (2 areas)", "Wards"]
    assert list(figure.data[0].locations) == ["XA", "XD"]
    assert list(figure.data[1].locations) == ["XB", "XC"]
    assert visible(figure) == [True, True, False]  # the first layer and its grey areas

    grey = figure.data[1]
    assert grey.showscale is False and grey.showlegend is True
    assert {c for _, c in grey.colorscale} == {SUPPRESSED_COLOUR}

    (menu,) = figure.layout.updatemenus
    assert [b.label for b in menu.buttons] == ["LSOA (2011)", "Wards"]
    assert menu.buttons[0].args[0]["visible"] == [True, True, False]
    assert menu.buttons[1].args[0]["visible"] == [False, False, True]
    assert menu.buttons[1].args[1]["title.text"] == "People — Wards"
    for button in menu.buttons:  # exactly one layer's traces at a time
        layers = {
            layer for layer, on in zip(figure.layout.meta["layers"], button.args[0]["visible"], strict=True) if on
        }
        assert len(layers) == 1


def test_geo_has_no_base_map_and_fits_the_areas():
    figure = interactive_map({"lsoa": synthetic()}, column="people", title="People")
    geo = figure.layout.geo
    assert geo.fitbounds == "locations" and geo.visible is False
    for layer in ("land", "ocean", "countries", "coastlines", "frame", "lakes", "rivers", "subunits"):
        assert getattr(geo, f"show{layer}") is False, layer
    layout = figure.to_plotly_json()["layout"]
    assert not {"mapbox", "map"} & set(layout)  # no tile-based subplot
    assert all(t.type == "choropleth" for t in figure.data)
    assert any("Crown copyright" in a.text for a in figure.layout.annotations)


def test_geojson_is_lon_lat_wound_for_d3_and_carries_only_the_code():
    figure = interactive_map({"lsoa": synthetic()}, column="people", title="People")
    for trace in figure.data:
        assert trace.featureidkey == "properties.area_code"
        for feature in trace.geojson["features"]:
            assert feature["properties"] == {"area_code": feature["id"]}
            polygon = shapely.geometry.shape(feature["geometry"])
            lon, lat = polygon.exterior.coords[0]
            assert -2.6 < lon < -2.3 and 53.6 < lat < 53.8  # Blackburn, in EPSG:4326
            assert not polygon.exterior.is_ccw  # d3-geo: exterior rings clockwise


def test_hover_of_a_suppressed_area_shows_a_star_and_never_the_raw_count():
    figure = interactive_map({"lsoa": synthetic()}, column="people", title="People")
    grey = figure.data[1]
    (text,) = grey.hovertext
    assert "Area B" in text and "People: *" in text and "Suppressed" in text
    assert not re.search(rf"\b{RAW_SECRET}\b", text)
    # nothing in the figure names or holds the raw column
    dumped = figure.to_json()
    assert "secret_raw_count" not in dumped
    shown = figure.data[0]
    assert [float(z) for z in shown.z] == [15.0, 35.0, 45.0]
    assert all("People: *" not in t for t in shown.hovertext)


def test_rate_interval_and_classes_in_the_hover_when_present():
    frame = synthetic(3)
    frame["rate"] = [12.34, np.nan, 1234.5]
    frame["rate_lower"] = [10.05, np.nan, 1100.0]
    frame["rate_upper"] = [14.87, np.nan, 1400.26]
    frame["comparison"] = ["higher", None, "similar"]
    frame["gi_bin"] = [3, 0, 0]
    frame["gi_label"] = ["Hot spot, 99%", "Not significant", "Not significant"]
    frame["lisa_category"] = ["High-High", "Not significant", "Not significant"]
    figure = interactive_map({"lsoa": frame}, column="rate", title="Rate")
    first, last = figure.data[0].hovertext
    assert "Rate: 12.3 (10.1–14.9) per 1,000" in first
    assert "Rate: 1,234.5 (1,100.0–1,400.3) per 1,000" in last
    assert "Compared with the average: higher" in first
    assert "Hot/cold spot (Gi*): Hot spot, 99%" in first and "Gi* bin" not in first
    assert "Cluster (LISA): High-High" in first
    (suppressed,) = figure.data[1].hovertext  # the rate is missing because its count is suppressed
    assert "Rate: *" in suppressed and "People: *" in suppressed


def test_hover_without_optional_columns_is_just_name_and_counts():
    text = hover_text(synthetic().iloc[0], "people")
    assert text == "<b>Area A</b> (XA)<br>People: 15"


def test_hover_escapes_names():
    frame = synthetic(1, suppressed=())
    frame["area_name"] = ["Audley & Queen's Park <x>"]
    (text,) = interactive_map({"w": frame}, column="people", title="t").data[0].hovertext
    assert "Audley &amp; Queen's Park &lt;x&gt;" in text


def test_categorical_colour_bar_lists_classes_in_order_with_counts():
    frame = synthetic(4, suppressed=())
    frame["comparison"] = ["higher", "similar", "similar", "higher"]
    colours = {"higher": "#d7301f", "similar": "#f0f0f0", "lower": "#0570b0"}
    figure = interactive_map({"lsoa": frame}, column="comparison", title="Compared", categorical=colours)
    (trace,) = figure.data
    assert list(trace.colorbar.ticktext) == ["higher (2)", "similar (2)", "lower (0)"]
    assert list(trace.z) == [0, 1, 1, 0]
    assert (trace.zmin, trace.zmax) == (-0.5, 2.5)
    with pytest.raises(ValueError, match="no colour"):
        interactive_map({"lsoa": frame}, column="comparison", title="x", categorical={"higher": "red"})


@pytest.fixture(scope="module")
def lsoa_figure():
    areas = embedded_layer("lsoa11").areas.copy()
    rng = np.random.default_rng(7)
    areas["people"] = (rng.integers(2, 30, len(areas)) * 5).astype(float)
    areas["people_suppressed"] = False
    areas.loc[areas.index[:6], ["people", "people_suppressed"]] = [np.nan, True]
    msoa = embedded_layer("msoa11").areas.assign(people=50.0, people_suppressed=False)
    return interactive_map(
        {"lsoa": areas, "msoa": msoa}, column="people", title="People", titles={"lsoa": "LSOA (2011)"}
    )


def test_real_lsoa_layer(lsoa_figure):
    lsoa, grey, msoa = lsoa_figure.data
    assert len(lsoa.locations) + len(grey.locations) == 91 and len(grey.locations) == 6
    assert len(msoa.locations) == 18
    assert visible(lsoa_figure) == [True, True, False]
    assert all(not shapely.geometry.shape(f["geometry"]).is_empty for f in lsoa.geojson["features"])


def script_sources(page: str) -> list[str]:
    return re.findall(r"<script[^>]*\bsrc\s*=\s*[\"']?([^\"'\s>]+)", page, flags=re.IGNORECASE)


def outside_bundle(page: str) -> str:
    """The page without plotly.js itself (whose licence text and defaults mention URLs it does not load)."""
    return page.replace(get_plotlyjs(), "")


def assert_offline(page: str) -> None:
    assert all(not re.match(r"(https?:)?//", src, flags=re.IGNORECASE) for src in script_sources(page))
    rest = outside_bundle(page)
    assert not re.findall(r"<link[^>]+href=[\"']?(https?:)?//", rest, flags=re.IGNORECASE)
    assert not re.findall(r"https?://", rest)  # no tile, style, font or topojson URL in the page or figure
    assert "mapbox" not in rest.lower()
    # the world topojson plotly.js would fetch for a geo subplot is registered before plotly.js loads
    stub = rest.index('window.PlotlyGeoAssets = {"topojson": {"world_110m"')
    plotly_script = re.search(r"<script[^>]*(src=\"plotly\.min\.js\"|>/\*\*\s*\* plotly\.js)", page)
    assert plotly_script and stub < plotly_script.start()
    assert '"displaylogo": false' in page


def test_alongside_page_loads_a_shared_local_plotly(tmp_path, lsoa_figure):
    page = write_html(lsoa_figure, tmp_path / "lsoa_people.html")
    html = page.read_text(encoding="utf-8")
    assert script_sources(html) == ["plotly.min.js"]
    bundle = tmp_path / "plotly.min.js"
    assert bundle.read_text(encoding="utf-8") == get_plotlyjs()
    assert_offline(html)
    assert page.stat().st_size < 1_000_000

    written = bundle.stat().st_mtime_ns
    second = write_html(lsoa_figure, tmp_path / "again.html")
    assert bundle.stat().st_mtime_ns == written  # shared, written once
    assert second.read_text(encoding="utf-8").replace("map-again", "map-lsoa_people") == html  # deterministic
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.html", "lsoa_people.html", "plotly.min.js"]


def test_alongside_replaces_a_stale_bundle(tmp_path, lsoa_figure):
    (tmp_path / "plotly.min.js").write_text("/* an older plotly.js */")
    write_html(lsoa_figure, tmp_path / "map.html")
    assert (tmp_path / "plotly.min.js").read_text(encoding="utf-8") == get_plotlyjs()


def test_inline_page_embeds_plotly(tmp_path, lsoa_figure):
    page = write_html(lsoa_figure, tmp_path / "inline.html", plotlyjs="inline")
    html = page.read_text(encoding="utf-8")
    assert page.stat().st_size > 3_000_000
    assert script_sources(html) == []
    assert get_plotlyjs() in html
    assert not (tmp_path / "plotly.min.js").exists()
    assert_offline(html)


def test_page_embeds_the_figure_with_its_hover_text(tmp_path):
    figure = interactive_map({"lsoa": synthetic()}, column="people", title="People & places")
    html = write_html(figure, tmp_path / "m.html").read_text(encoding="utf-8")
    assert "<title>People &amp; places — lsoa</title>" in html
    data = json.loads(re.search(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*\{", html, flags=re.S).group(1))
    assert [t["type"] for t in data] == ["choropleth", "choropleth"]
    assert "secret_raw_count" not in html


def test_plotly_js_still_honours_preloaded_geo_assets():
    """The offline stub relies on plotly.js skipping the topojson fetch for a name already in PlotlyGeoAssets.

    If a plotly upgrade changes this, the pages would try https://cdn.plot.ly again: this test says so.
    """
    bundle = get_plotlyjs()
    assert re.search(r"window\.PlotlyGeoAssets===void 0&&\(window\.PlotlyGeoAssets=\{topojson:\{\}\}\)", bundle)
    assert re.search(
        r"PlotlyGeoAssets\.topojson\[\w+\.topojsonName\]===void 0&&\w+\.push\(\w+\.fetchTopojson\(\)\)", bundle
    )
    assert re.search(r"getTopojsonName=function\(\w+\)\{return\[\w+\.scope\.replace\(/ /g,\"-\"\),\"_\",", bundle)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="at least one"):
        interactive_map({}, column="people", title="x")
    with pytest.raises(ValueError, match="no column 'rate'"):
        interactive_map({"lsoa": synthetic()}, column="rate", title="x")
    with pytest.raises(ValueError, match="plotlyjs"):
        write_html(
            interactive_map({"lsoa": synthetic()}, column="people", title="x"), tmp_path / "x.html", plotlyjs="cdn"
        )


def test_a_layer_note_sits_under_the_title_and_follows_the_dropdown():
    tables = {"lsoa": synthetic(4, suppressed=()), "ward": synthetic(3, suppressed=())}
    note = "Hot spots on counts of people (no population for this layer: counts, not rates)"
    figure = interactive_map(
        tables, column="people", title="Hot & cold", titles={"lsoa": "LSOA", "ward": "Wards"}, notes={"ward": note}
    )
    assert figure.layout.title.text == "Hot &amp; cold — LSOA"  # no note for the LSOAs
    (menu,) = figure.layout.updatemenus
    assert menu.buttons[0].args[1]["title.text"] == "Hot &amp; cold — LSOA"
    ward_title = menu.buttons[1].args[1]["title.text"]
    assert ward_title.startswith("Hot &amp; cold — Wards<br><sup>") and ward_title.endswith("</sup>")
    assert "counts, not rates" in ward_title
