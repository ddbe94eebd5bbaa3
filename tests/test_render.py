"""Unit tests of pipeline.render: escaping, compact encoding, offline page, CSP, preview."""

from __future__ import annotations

import base64
import hashlib
import html as htmllib
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _maps import decode_like_js
from _property import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import schema as S
from pipeline.errors import InputError
from pipeline.grid import points_to_cells
from pipeline.render import (
    FactorInfo,
    RenderOptions,
    build_map,
    escape_text,
    map_to_html,
    tiles_origin,
    write_map,
    write_preview_png,
)
from pipeline.render._escaping import MAP_TEXT_LIMIT
from pipeline.render._payload import base36, encode_cells, risk_payload, sorted_cells
from pipeline.testing import sample_cells, sample_map_data

FORBIDDEN = set("<>\"'`$\\{}\n\r\u2028\u2029")
HOSTILE = '<img src=x onerror="window.__xss=1">${window.__xss=2}`\\</script>\u2028'


def _html(data, **kw):
    opts = kw.pop("options", RenderOptions())
    m = build_map(data, as_of="2024-06-30", run_id="run-7", inputs=["a.csv"], options=opts)
    return map_to_html(m)


# ------------------------------------------------------------------ escaping


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<b>", "&lt;b&gt;"),
        ("${x}", "&#36;&#123;x&#125;"),
        ("a`b", "a&#96;b"),
        ("back\\slash", "back&#92;slash"),
        ("\"'", "&quot;&#39;"),
        ("l1\u2028l2", "l1&#8232;l2"),
        ("&amp;", "&amp;amp;"),
        (None, ""),
        (float("nan"), ""),
        (pd.NaT, ""),
        (3, "3"),
    ],
)
def test_escape_text_examples(value, expected):
    assert escape_text(value) == expected


@settings(max_examples=examples(300), deadline=None)
@given(st.text())
def test_escape_text_is_inert_and_reversible(text):
    out = escape_text(text)
    assert not (set(out) & FORBIDDEN)
    # NUL is no HTML text (the parser drops it): it shows as U+FFFD, as &#0; does
    shown, want = htmllib.unescape(out), text.replace("\x00", "\ufffd")
    if len(text) > MAP_TEXT_LIMIT:  # cut and marked (tests/test_map_text_limit_found.py)
        shown = shown.replace(f"… (+{len(text) - MAP_TEXT_LIMIT:,} characters not shown)", "")
        want = want[:MAP_TEXT_LIMIT]
    if set(text) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"):
        # bidi controls are kept whole inside an isolate (tests/test_map_review_found.py)
        assert want in shown and shown.startswith("\u2068") and shown.endswith("\u2069")
    else:
        assert shown == want


# ------------------------------------------------------------------ compact cells


def test_base36_matches_python():
    values = np.array([0, 1, 35, 36, 2**40 + 7, 2**52 - 1], dtype="uint64")
    assert base36(values).split(",") == [np.base_repr(int(v), 36).lower() for v in values]


@settings(max_examples=examples(40), deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-179.9, 179.9), st.floats(-84, 84), st.sampled_from([0, 3, 7, 9, 15])),
        min_size=1,
        max_size=60,
    )
)
def test_encode_cells_round_trips_mixed_resolutions(points):
    cells = np.unique(np.concatenate([points_to_cells([lon], [lat], r) for lon, lat, r in points]))
    from pipeline.grid import cells_resolutions

    order = np.lexsort((cells, cells_resolutions(cells)))
    cells = cells[order]
    assert np.array_equal(decode_like_js(encode_cells(cells)), cells)


# ------------------------------------------------------------------ the page


def test_page_is_offline_and_has_a_strict_csp():
    page = _html(sample_map_data(120))
    assert "<link" not in page
    assert not re.search(r"<script[^>]*\bsrc=", page)
    markup = re.sub(r"<script>.*?</script>", "", page, flags=re.DOTALL)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", markup)
    assert not re.search(r"url\((?!data:|#default#VML)", page)  # stylesheets reference no files
    meta = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert meta is not None
    policy = meta.group(1)
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy
    assert "http" not in policy and "unsafe-eval" not in policy
    scripts = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    assert len(scripts) >= 5
    for body in scripts:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    # the CSP comes before the first script
    assert page.index("Content-Security-Policy") < page.index("<script>")


def test_online_tiles_only_when_enabled():
    page = _html(sample_map_data(30), options=RenderOptions(tiles="OpenStreetMap"))
    policy = re.search(r'Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "https://tile.openstreetmap.org" in policy or "https://*.tile" in policy
    assert "tile.openstreetmap.org" in page
    offline = _html(sample_map_data(30))
    assert "openstreetmap" not in offline.lower().replace("openstreetmap contributors", "")


def test_hostile_text_never_reaches_the_page_raw():
    data = sample_map_data(40, text=HOSTILE)
    m = build_map(
        data, as_of=HOSTILE, run_id=HOSTILE, inputs=[HOSTILE], options=RenderOptions(title=HOSTILE)
    )
    page = map_to_html(m)
    assert "<img src=x" not in page and 'onerror="window' not in page
    assert "${window" not in page
    assert "\u2028" not in page
    # HTML sinks: <title> (title and as-of), title, as-of, run id, inputs, class legend,
    # raster legend name and units
    assert page.count(escape_text(HOSTILE)) == 9
    # JSON sinks (& written as \u0026): factor, commodity, class, period, notes, vessels, ...
    assert page.count(escape_text(HOSTILE).replace("&", "\\u0026")) >= 8


def test_big_map_is_compact():
    data = sample_map_data(5000, n_seizures=0, n_events=0, n_periods=0)
    data.timeline = data.seizures = data.events = data.transit = None
    data.rasters = []
    page = _html(data)
    base = _html(sample_map_data(10, n_seizures=0, n_events=0, n_periods=0))
    per_cell = (len(page) - len(base)) / 5000
    assert per_cell < 80, per_cell  # id ~3 B, risk/class/observed, 3 factors x (value, points)


def test_cells_given_as_hex_strings_only():
    data = sample_map_data(30)
    data.scores = data.scores.drop(columns=[S.CELL])
    assert "routeRiskHexLayer" in _html(data)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda d: setattr(d, "class_labels", ["a", "b"]), "class_labels"),
        (lambda d: setattr(d, "class_breaks", [0, 50, 40, 60, 80, 100]), "class_breaks"),
        (lambda d: d.scores.__setitem__(S.RISK_CLASS, "extreme"), "'extreme'"),
        (lambda d: setattr(d, "scores", pd.concat([d.scores, d.scores.head(1)])), "duplicate"),
        (lambda d: setattr(d, "scores", d.scores.drop(columns=[S.RISK])), "missing"),
        (lambda d: setattr(d, "scores", d.scores.drop(columns=["gap_events__contrib"])), "missing"),
    ],
)
def test_bad_input_raises(mutate, match):
    data = sample_map_data(20)
    mutate(data)
    with pytest.raises(InputError, match=match):
        build_map(data, as_of="2024-06-30", run_id="r", inputs=[])


def test_no_data_cells_are_not_given_a_risk_class():
    data = sample_map_data(30)
    data.scores[S.RISK_CLASS] = np.where(data.scores["observed"], data.scores[S.RISK_CLASS], None)
    page = _html(data)
    cls = re.search(r'"cls":\[([^\]]*)\]', page).group(1).split(",")
    assert cls.count("-1") == int((~data.scores["observed"]).sum())


def test_custom_basemap_and_write_map(tmp_path):
    data = sample_map_data(30)
    data.basemap = gpd.GeoDataFrame(geometry=[shapely.box(-30, 5, -20, 15)], crs="EPSG:4326")
    path = write_map(data, tmp_path / "m.html", as_of="2024-06-30", run_id="r", inputs=["x"])
    text = path.read_text()
    assert '"geojson"' in text and '"topology"' not in text
    assert [p.name for p in tmp_path.iterdir()] == ["m.html"]


def test_preview_png(tmp_path):
    data = sample_map_data(200)
    path = write_preview_png(data, tmp_path / "p.png", title="Risk $5 <b>")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000
    assert [p.name for p in tmp_path.iterdir()] == ["p.png"]


def test_preview_fills_cells_by_class_and_keeps_land_holes_open(tmp_path):
    import matplotlib.image as mpimg

    from pipeline.grid import cells_to_latlng, grid_disk_cells

    # the east cluster above the legend's corner
    centres = points_to_cells(np.array([-30.0, -20.0]), np.array([10.0, 16.0]), 5)
    cells = np.unique(grid_disk_cells(centres, 6))
    data = sample_map_data(cells=cells, n_seizures=0, n_events=0, n_periods=0)
    scores, sorted_ = sorted_cells(data.scores, "scores")
    lat, lon = cells_to_latlng(sorted_)
    labels = list(data.class_labels)
    scores["observed"] = ~((lon > -20.3) & (lat > 15.7))  # part of the east cluster: no data
    scores[S.RISK_CLASS] = np.where(lon < -25, labels[0], labels[-1])
    data.scores = scores
    # land everywhere but a lake between the clusters: only the lake shows the sea colour
    data.basemap = gpd.GeoDataFrame(
        geometry=[shapely.box(-60, -30, 10, 50).difference(shapely.box(-26, 8, -24, 12))],
        crs="EPSG:4326",
    )
    colours = ("#ff0000", "#00ff00", "#00ff00", "#00ff00", "#0000ff")
    opts = RenderOptions(class_colors=colours)
    path = write_preview_png(data, tmp_path / "p.png", title="t", options=opts)
    img = mpimg.imread(path)[..., :3]

    def share(hex_colour, tol=0.03):
        rgb = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
        return (np.abs(img - rgb).max(axis=-1) < tol).mean()

    land, sea = np.array([0xEC, 0xEF, 0xF1]) / 255, np.array([0xCF, 0xE3, 0xEF]) / 255
    over_land = [0.85 * np.array(c) + 0.15 * land for c in ([1, 0, 0], [0, 0, 1])]
    grey = 0.85 * np.array([0xBD] * 3) / 255 + 0.15 * land
    for rgb in [*over_land, grey]:
        hit = (np.abs(img - rgb).max(axis=-1) < 0.03).mean()
        assert hit > 0.004, (rgb, hit)
    assert share("#cfe3ef") > 0.01, "the lake in the land polygon was filled"
    assert share("#eceff1") > 0.2
    assert np.abs(img - sea).max(axis=-1).min() < 0.03
    again = write_preview_png(data, tmp_path / "q.png", title="t", options=opts)
    assert again.read_bytes() == path.read_bytes()


def test_sample_cells_are_distinct():
    cells = sample_cells(500)
    assert cells.size == 500 and np.unique(cells).size == 500


def test_empty_scores_and_missing_observed_values():
    data = sample_map_data(20)
    data.scores["observed"] = pd.array([None] * 5 + [True] * 15, dtype=object)
    page = _html(data)
    observed = re.search(r'"observed":\[([^\]]*)\]', page).group(1).split(",")
    assert observed.count("0") == 5 and observed.count("1") == 15
    data.scores = data.scores.head(0)
    data.timeline = None
    assert '"cells":[]' in _html(data)


def test_heat_layer_is_capped():
    data = sample_map_data(20, n_seizures=500)
    page = _html(data, options=RenderOptions(max_heat_points=50))
    heat = re.search(r"L\.heatLayer\(\s*(\[\[.*?\]\])", page, re.DOTALL).group(1)
    assert len(json.loads(heat)) == 50


def test_vendored_assets_match_their_recorded_sha256():
    import importlib.util
    from pathlib import Path

    tool = Path(__file__).resolve().parents[1] / "tools" / "vendor_assets.py"
    spec = importlib.util.spec_from_file_location("vendor_assets", tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.check() == 0


def test_confidence_columns_are_not_taken_for_commodities():
    data = sample_map_data(50)
    assert not S.SEIZURES_WITHIN_BANDWIDTH.startswith(S.SEIZURES_PREFIX)
    scores = data.scores
    payload = risk_payload(data, scores, scores[S.CELL].to_numpy(), RenderOptions())
    labels = [c["label"] for c in payload["commodities"]]
    assert labels == ["cocaine", "heroin", "cannabis"]
    assert payload["confidence"]["bandwidthKm"] == 25.0


# ------------------------------------------------------------------ coverage, units, descriptions


def _payload(data):
    scores, cells = sorted_cells(data.scores, "scores")
    return risk_payload(data, scores, cells, RenderOptions())


def test_uncovered_cells_send_no_value_only_the_missing_text():
    data = sample_map_data(200, uncovered_fraction=0.3)
    scores = data.scores
    payload = _payload(data)
    by_label = {f["label"]: f for f in payload["factors"]}
    hours, density = by_label["Vessel-hours"], by_label["Seizure density"]
    assert density["covered"] is None  # no __covered column: covered everywhere
    assert density["missing"] == "not covered"  # FactorInfo's default
    assert hours["missing"] == "no AIS coverage" and hours["unit"] == "h"
    assert hours["description"] == "time spent by vessels"
    order = np.lexsort((scores[S.CELL].to_numpy(),))
    covered = scores[S.VESSEL_HOURS + S.COVERED_SUFFIX].to_numpy()[order]
    assert 0 < (~covered).sum() < covered.size
    assert hours["covered"] == covered.astype(int).tolist()
    values = np.array(hours["values"], dtype=float)
    assert np.isnan(values[~covered]).all()  # the 0 of an unobserved cell never reaches the page
    assert np.isfinite(values[covered]).all()


def test_missing_or_text_coverage_values():
    data = sample_map_data(30)
    col = S.VESSEL_HOURS + S.COVERED_SUFFIX
    data.scores[col] = pd.array([None] * 3 + [True] * 27, dtype="boolean")
    hours = _payload(data)["factors"][1]
    assert hours["covered"] == [0] * 3 + [1] * 27  # unknown coverage is not a measured value
    data.scores[col] = ["yes"] * 30
    with pytest.raises(InputError, match=r"'vessel_hours__covered' must hold booleans.*'yes'"):
        build_map(data, as_of="2024-06-30", run_id="r", inputs=[])


def test_factor_texts_are_escaped_in_the_card_payload():
    data = sample_map_data(20)
    data.factors = [
        FactorInfo(f.name, f.label, f.weight, HOSTILE, HOSTILE, HOSTILE) for f in data.factors
    ]
    page = _html(data)
    payload = json.loads(re.search(r"L\.routeRiskHexLayer\((\{.*?\})\);", page, re.DOTALL).group(1))
    for f in payload["factors"]:
        assert f["unit"] == f["description"] == f["missing"] == escape_text(HOSTILE)
    assert "<img src=x" not in page


# ------------------------------------------------------------------ page assembly data cannot forge

FORGED = '__ROUTE_RISK_CSP__" <meta http-equiv="Content-Security-Policy" content="script-src *">'


def _policy_and_scripts(page):
    metas = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    scripts = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    return metas, scripts


@pytest.mark.parametrize(
    "sink", ["title", "as_of", "note", "commodity", "class label", "factor", "period", "input"]
)
def test_data_containing_the_old_placeholder_renders(sink, tmp_path):
    data = sample_map_data(40)
    options, as_of, inputs = RenderOptions(), "2024-06-30", ["a.csv"]
    if sink == "title":
        options = RenderOptions(title=FORGED)
    elif sink == "as_of":
        as_of = FORGED
    elif sink == "note":
        data.seizures[S.NOTE] = FORGED
    elif sink == "commodity":
        data.seizures[S.COMMODITY] = FORGED
        data.scores["seizures_" + FORGED] = 1
    elif sink == "class label":
        data.class_labels[-1] = FORGED
        data.scores[S.RISK_CLASS] = data.scores[S.RISK_CLASS].replace("very high", FORGED)
    elif sink == "factor":
        data.factors = [
            FactorInfo(f.name, FORGED, f.weight, FORGED, FORGED, FORGED) for f in data.factors
        ]
    elif sink == "period":
        data.timeline["period"] = FORGED
    else:
        inputs = [FORGED]
    path = write_map(
        data, tmp_path / "m.html", as_of=as_of, run_id="r", inputs=inputs, options=options
    )
    page = path.read_text("utf-8")
    metas, scripts = _policy_and_scripts(page)
    assert len(metas) == 1, "exactly one policy, the page's own"
    assert page.index("Content-Security-Policy") < page.index("<script>")
    for body in scripts:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in metas[0]
    assert metas[0].count("'sha256-") == len(set(scripts))
    assert "__ROUTE_RISK_CSP__" in page  # shown as text, substituted nowhere
    assert 'content="script-src *"' not in page


def test_csp_origins_must_be_plain_origins():
    from pipeline.render._assets import csp_policy

    policy = csp_policy(["x"], ("https://*.tile.openstreetmap.org",))
    assert "img-src data: blob: https://*.tile.openstreetmap.org;" in policy
    for bad in ('https://a.org" onload="x', "javascript:alert(1)", "https://a.org/path", "*"):
        with pytest.raises(ValueError, match="origin"):
            csp_policy(["x"], (bad,))


@pytest.mark.parametrize(
    ("tiles", "origin"),
    [
        ("https://tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org"),
        ("https://{s}.tiles.example.org:8080/{z}/{x}/{y}.png", "https://*.tiles.example.org:8080"),
        ("Esri.WorldImagery", "https://server.arcgisonline.com"),
    ],
)
def test_custom_and_named_tiles_give_a_valid_csp_origin(tiles, origin):
    page = _html(sample_map_data(20), options=RenderOptions(tiles=tiles))
    policy = _policy_and_scripts(page)[0][0]
    assert f"img-src data: blob: {origin};" in policy
    assert tiles_origin(tiles) == origin


@pytest.mark.parametrize(
    "tiles",
    ["NoSuchTiles", "ftp://x.org/{z}/{x}/{y}", "https://{s}/{z}/{x}/{y}", 'https://a.org"x/{z}'],
)
def test_bad_tiles_are_one_input_error(tiles):
    with pytest.raises(InputError, match="tiles"):
        tiles_origin(tiles)
    with pytest.raises(InputError, match="tiles"):
        build_map(
            sample_map_data(10),
            as_of="2024-06-30",
            run_id="r",
            inputs=[],
            options=RenderOptions(tiles=tiles),
        )


# ------------------------------------------------------------------ fitted model, hot spots, panel


def _hex_payloads(page: str) -> list[dict]:
    return [
        json.loads(p) for p in re.findall(r"L\.routeRiskHexLayer\((\{.*?\})\);", page, re.DOTALL)
    ]


def test_render_column_names_agree_with_the_hotspots_package():
    import pipeline.hotspots as hs
    from pipeline.render import _payload as P
    from pipeline.render._legend import EMERGING_COLOURS

    assert (P.GI_Z, P.GI_P, P.GI_P_ADJUSTED, P.GI_BIN, P.GI_CLASS) == (
        hs.GI_Z,
        hs.GI_P,
        hs.GI_P_ADJUSTED,
        hs.GI_BIN,
        hs.GI_CLASS,
    )
    assert P.EMERGING_CATEGORY == hs.EMERGING_CATEGORY
    # every category but "no pattern" has its own fixed colour; "no pattern" is not drawn
    assert set(hs.CATEGORIES) - set(EMERGING_COLOURS) == {hs.CATEGORIES[-1]}
    assert hs.CATEGORIES[-1] in P.NO_PATTERN
    assert len(set(EMERGING_COLOURS.values())) == len(EMERGING_COLOURS)


def test_significant_digits_per_value_and_missing_as_none():
    from pipeline.render._payload import significant

    values = [0.000875123, 3.84128, np.nan, np.inf, 0.0, -1234.5, 1e-30, 123456.0]
    assert significant(values, 3) == [0.000875, 3.84, None, None, 0.0, -1230.0, 1e-30, 123000.0]
    assert (
        json.dumps(significant(np.random.default_rng(0).gamma(0.5, 0.1, 50), 3)).count("0000000")
        == 0
    )  # shortest decimals: byte-stable and compact


def test_fitted_payload_missing_values_stay_missing_never_zero():
    data = sample_map_data(120, fitted=True)
    s = data.scores
    s.loc[s.index[:5], ["expected_events", "p_any_event"]] = np.nan
    s.loc[s.index[:3], "relative_risk"] = np.nan
    share_cols = [c for c in s.columns if c.endswith("__share") and c != "area__share"]
    s.loc[s.index[7], share_cols] = np.nan  # a quiet cell: only its area share is left
    s["all_nan__share"] = np.nan  # a share no cell has: not sent at all
    payload = _payload(data)["fitted"]
    sorted_scores = s.sort_values(S.CELL).reset_index(drop=True)
    expected = sorted_scores["expected_events"].to_numpy()
    got = payload["expected"]
    assert [g is None for g in got] == list(np.isnan(expected))
    ok = ~np.isnan(expected)
    np.testing.assert_allclose(np.array(got, dtype=float)[ok], expected[ok], rtol=5e-3)
    # the sample's relative risk is not expected / constant: sent, missing as None
    assert payload["rrScale"] is None and payload["rr"].count(None) == 3
    # its P(at least one) is Poisson's 1 - exp(-expected): derived in the page, not sent
    assert payload["pAnyPoisson"] is True and payload["pAny"] is None
    assert payload["horizonDays"] == 91.0 and payload["model"] == "Poisson"
    shares = payload["shares"]
    assert "all_nan" not in shares["labels"] and shares["labels"][-1] == "cell area"
    assert len(shares["labels"]) == len(share_cols) + 1
    assert len(shares["rank"]) == len(shares["codes"]) == 5
    labels = [lab if lab != "cell area" else "area" for lab in shares["labels"]]
    table = sorted_scores[[lab + "__share" for lab in labels]].to_numpy()
    quiet = np.isnan(table[:, :-1]).all(axis=1)
    assert quiet.sum() >= 2  # the sample's quiet cells and the one made above
    for i in range(len(sorted_scores)):
        ranks = [r[i] for r in shares["rank"]]
        codes = [c[i] for c in shares["codes"]]
        if quiet[i]:
            assert ranks == [None] * 5 and codes == [None] * 5 and shares["others"][i] is None
            continue
        true = np.round(100 * np.log(table[i]))
        order = sorted(range(len(true)), key=lambda j: -abs(true[j]))  # stable, like the page
        assert ranks == order[:5] and codes == [int(true[j]) for j in order[:5]]
        # "others" is the rest of the product of all shares, so the column multiplies to it
        total = np.round(100 * np.nansum(np.log(table[i])))
        assert shares["others"][i] == int(total - sum(codes))
        # 1 % resolution of every share
        np.testing.assert_allclose(np.exp(np.array(codes) / 100), table[i, order[:5]], rtol=5.1e-3)


def test_relative_risk_proportional_to_expected_is_derived_in_the_page():
    data = sample_map_data(200, fitted=True)
    s = data.scores
    s["relative_risk"] = s["expected_events"] / 0.0315 * (1 + 1e-5)
    s.loc[s.index[3], ["expected_events", "relative_risk"]] = np.nan
    fitted = _payload(data)["fitted"]
    assert fitted["rr"] is None and fitted["rrScale"] == pytest.approx(0.0315, rel=1e-4)
    # not proportional (a quiet cell's own rate), or P(any) of another family: sent
    s.loc[s.index[5], "relative_risk"] *= 1.5
    s["p_any_event"] = 1 - (1 + 0.5 * s["expected_events"]) ** -2.0
    fitted = _payload(data)["fitted"]
    assert fitted["rrScale"] is None and len(fitted["rr"]) == 200
    assert fitted["pAnyPoisson"] is False and len(fitted["pAny"]) == 200


def test_absent_columns_and_dicts_add_nothing():
    data = sample_map_data(60)
    payload = _payload(data)
    assert payload["fitted"] is None and payload["hotspot"] is None
    page = _html(data)
    assert '<aside class="rr-panel"' not in page and "routeRisk.panelToggle(map" not in page
    assert [p["key"] for p in _hex_payloads(page)] == ["risk", "transit"]
    assert 'data-layer="significance"' not in page and 'data-layer="emerging"' not in page
    # only some of the columns: only those rows
    data.scores["gi_z"] = np.linspace(-3, 3, len(data.scores))
    hot = _payload(data)["hotspot"]
    assert set(hot) == {"z"}
    data.scores["trend"] = [None, "up"] * 30
    hot = _payload(data)["hotspot"]
    assert hot["trends"] == ["up"] and hot["trend"].count(-1) == 30


def test_a_p_value_just_below_a_level_is_never_sent_as_the_level():
    # Before: the payload rounded p to nearest (3 digits for Gi*, 2 for the trend), so the
    # demo's cell 8582cbcbfffffff (trend_p 0.0996, trend "up" at trend_alpha 0.1) read
    # "trend up (Mann-Kendall p 0.1)": route_risk.js rounds down, but 0.1 was all it got.
    data = sample_map_data(40, hotspots=True)
    s = data.scores
    gi = np.r_[0.09996, 0.0499999, 0.00999, 0.8278397, 0.05, 1.0, np.full(len(s) - 6, 0.5)]
    trend = np.r_[0.0996, 0.04999, 0.0099, 0.0298, 0.1, 1.0, np.full(len(s) - 6, 0.5)]
    s["gi_p_adjusted"], s["trend_p"] = gi, trend
    order = np.argsort(s[S.CELL].to_numpy(dtype="uint64"), kind="stable")
    hot = _payload(data)["hotspot"]
    sent_gi, sent_trend = np.array(hot["p"], float), np.array(hot["trendP"], float)
    assert sent_gi[np.argsort(order)][:6].tolist() == [0.0999, 0.0499, 0.00999, 0.827, 0.05, 1.0]
    assert sent_trend[np.argsort(order)][:6].tolist() == [0.099, 0.049, 0.0099, 0.029, 0.1, 1.0]
    for level in (0.1, 0.05, 0.01):
        assert ((sent_gi < level) == (gi[order] < level)).all()
        assert ((sent_trend < level) == (trend[order] < level)).all()


def test_hotspot_card_payload_and_layers():
    data = sample_map_data(400, hotspots=True)
    s = data.scores.sort_values(S.CELL).reset_index(drop=True)
    hot = _payload(data)["hotspot"]
    assert hot["pLabel"] == "corrected p"
    sent = np.array(hot["p"], float)  # 3 significant digits, rounded down
    assert (sent <= s["gi_p_adjusted"]).all()
    np.testing.assert_allclose(sent, s["gi_p_adjusted"], rtol=1e-2)
    assert [hot["clsLabels"][c] for c in hot["cls"]] == s["gi_class"].tolist()
    assert [hot["categories"][c] for c in hot["category"]] == s["emerging_category"].tolist()
    page = _html(data)
    layers = {p["key"]: p for p in _hex_payloads(page)}
    sig, em = layers["significance"], layers["emerging"]
    bins = s["gi_bin"].to_numpy()
    assert len(sig["cls"]) == int((bins != 0).sum()) > 0
    assert sig["kind"] == "outline" and sig["hover"] is False
    # class k is the k-th of (3, 2, 1, -1, -2, -3)
    order = [3, 2, 1, -1, -2, -3]
    assert sorted(order[c] for c in sig["cls"]) == sorted(bins[bins != 0].tolist())
    assert sig["present"] == sorted({order.index(b) for b in bins[bins != 0]})
    drawn = s["emerging_category"] != "no pattern detected"
    assert len(em["cls"]) == int(drawn.sum())
    assert "no pattern detected" not in em["labels"]
    assert em["labels"][0] == "new hot spot"  # ArcGIS order: hot family first
    legend = re.search(r'<details class="rr-legend".*?</details>', page, re.DOTALL).group(0)
    for name, n in s.loc[drawn, "emerging_category"].value_counts().items():
        assert f"{name} ({n:,} cell{'' if n == 1 else 's'})" in legend
    assert "hot spot, 99 % confidence" in legend and 'data-layer="significance"' in legend


def test_no_significant_cell_still_explains_the_layer():
    data = sample_map_data(50, hotspots=True)
    data.scores["gi_bin"] = 0
    data.scores["emerging_category"] = "no pattern detected"
    page = _html(data)
    layers = {p["key"]: p for p in _hex_payloads(page)}
    assert layers["significance"]["cells"] == [] and layers["emerging"]["cells"] == []
    assert "no hot or cold spot at 90 % confidence or more" in page
    assert "no emerging hot or cold spot" in page


def _panel(page: str) -> str:
    return re.search(r'<aside class="rr-panel".*?</aside>', page, re.DOTALL).group(0)


def _cell_texts(table_html: str) -> list[list[str]]:
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table_html, re.DOTALL)
    return [
        [
            htmllib.unescape(re.sub(r"<[^>]+>", "", c))
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)
        ]
        for r in rows
    ]


def test_panel_shows_hit_rates_wins_and_origins_from_the_evaluation():
    data = sample_map_data(40, fitted=True, hotspots=True, evaluation=True)
    ev = data.evaluation
    panel = _panel(_html(data))
    hits = _cell_texts(re.search(r'id="rr-eval-hits">(.*?)</table>', panel, re.DOTALL).group(1))
    assert hits[0] == ["method", "hit @ 1 %", "hit @ 5 %", "hit @ 10 %"]
    assert [r[0] for r in hits[1:]] == [
        "this map",
        "uniform",
        "all prior counts",
        "recent counts",
        "plain KDE (25 km)",
        "density factor",
    ]
    for row, method in zip(hits[1:], ev["methods"], strict=True):
        at = {a["area_fraction"]: a["hit_rate"] for a in ev["summary"][method]["at"]}
        for cell, a in zip(row[1:], (0.01, 0.05, 0.1), strict=True):
            assert cell == f"{at[a]['mean']:.3f} ± {at[a]['sd']:.3f}"
    wins = _cell_texts(re.search(r'id="rr-eval-wins">(.*?)</table>', panel, re.DOTALL).group(1))
    assert [r[0] for r in wins[1:]] == [
        "vs all prior counts",
        "vs recent counts",
        "vs plain KDE (25 km)",
        "vs density factor",
    ]
    w = {x["area_fraction"]: x for x in ev["wins"]["published"]["kde"]}
    assert wins[3][1] == f"{w[0.01]['wins']} / {w[0.01]['ties']} / {w[0.01]['losses']}"
    assert f"<b>{len(ev['origins'])}</b> origins scored (1 skipped)" in panel
    assert "observed / expected events = <b>0.746</b>" in panel
    # the best mean of each column is bold, and only it
    best = max(
        ("published", "uniform", "all_prior_counts", "recent_counts", "kde", "density"),
        key=lambda m: ev["summary"][m]["at"][0]["hit_rate"]["mean"],
    )
    first_col = re.findall(r"<tr[^>]*><th>[^<]*</th><td( class=\"rr-best\")?>", panel)
    assert first_col.count(' class="rr-best"') == 1
    assert ev["methods"].index(best) == first_col.index(' class="rr-best"')


def test_panel_reads_a_real_rolling_back_test():
    from pipeline.evaluate import rolling_back_test
    from pipeline.grid import region_to_cells

    rng = np.random.default_rng(3)
    n = 480
    t = pd.Timestamp("2022-01-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 1460, n), "D")
    events = pd.DataFrame(
        {"time": t, "lon": rng.normal(0.0, 0.1, n), "lat": rng.normal(40.0, 0.1, n)}
    )
    cells = region_to_cells((-1, 39, 1, 41), 5)
    ev = rolling_back_test(
        events,
        cells,
        methods={"published": lambda train, c, origin: np.arange(len(c), dtype=float)},
        origins=4,
        horizon_days=90,
        train_days=365,
    )
    data = sample_map_data(30)
    data.evaluation = ev
    panel = _panel(_html(data))
    hits = _cell_texts(re.search(r'id="rr-eval-hits">(.*?)</table>', panel, re.DOTALL).group(1))
    assert len(hits) == 1 + len(ev["methods"])
    published = ev["summary"]["published"]["at"][0]["hit_rate"]
    assert hits[1][1] == f"{published['mean']:.3f} ± {published['sd']:.3f}"
    assert "–" not in "".join(c for r in hits[1:] for c in r[1:])
    assert "<b>4</b> origins scored" in panel and "density" in ev["notes"][0]
    assert escape_text(ev["notes"][0]) in panel


def test_panel_says_why_nothing_was_evaluated_and_warns_of_a_fallback():
    from pipeline.testing import sample_evaluation, sample_model_report

    data = sample_map_data(30)
    data.evaluation = sample_evaluation(skipped="5 training and 0 test events")
    data.model_report = sample_model_report(fallback="only 12 events (need >= 30)")
    panel = _panel(_html(data))
    assert "Not evaluated: no origin could be scored (5 training and 0 test events)" in panel
    assert 'id="rr-eval-hits"' not in panel
    warning = re.search(r'id="rr-model-fallback">(.*?)</p>', panel).group(1)
    assert "only 12 events (need &gt;= 30)" in warning
    assert re.search(r'id="rr-model-family">fallback \(no fit\)<', panel)
    assert 'id="rr-model-factors"' not in panel


def test_model_section_lists_relative_risks_with_interval_and_p():
    from pipeline.testing import sample_model_report

    data = sample_map_data(30)
    report = sample_model_report(["count_365d", "kde_100km"])
    report["factors"][1]["p_value"] = 2e-9
    data.model_report = report
    panel = _panel(_html(data))
    rows = _cell_texts(re.search(r'id="rr-model-factors">(.*?)</table>', panel, re.DOTALL).group(1))
    f0 = report["factors"][0]
    assert rows[1][0].startswith("count_365d")
    assert rows[1][1:] == [
        f"×{f0['rr_per_sd']:.3g}",
        f"{f0['rr_ci95'][0]:.3g}–{f0['rr_ci95'][1]:.3g}",
        f"{f0['p_value']:.2g}",
    ]
    assert rows[2][3] == "<0.001"
    assert "2 of 4 candidate factors selected by BIC" in panel
    assert "Not selected (2)" in panel
    assert "Poisson: BIC 4138.2 &lt;= negative binomial 4147.3" in panel


def test_report_and_category_strings_are_escaped():
    data = sample_map_data(80, fitted=True, hotspots=True, evaluation=True, text=HOSTILE)
    data.model_report["fallback"] = HOSTILE
    data.hotspots["emerging"]["first_period"] = HOSTILE
    page = _html(data)
    assert "<img src=x" not in page and "${window" not in page and "\u2028" not in page
    panel = _panel(page)
    # why, fallback, notes, skipped-origin reason is not shown; factor names are escaped
    # where they are shown: model factor name and description, dropped reasons, notes
    assert panel.count(escape_text(HOSTILE)) >= 8
    payloads = {p["key"]: p for p in _hex_payloads(page)}
    risk = payloads["risk"]
    assert escape_text(HOSTILE) in risk["fitted"]["shares"]["labels"]
    assert escape_text(HOSTILE) in risk["hotspot"]["clsLabels"]
    assert escape_text(HOSTILE) in risk["hotspot"]["categories"]
    assert escape_text(HOSTILE) in payloads["emerging"]["labels"]


def test_page_title_names_the_map_and_is_escaped():
    page = _html(sample_map_data(30), options=RenderOptions(title="Gulf <b>watch</b> & co"))
    head = page.split("</head>", 1)[0]
    assert head.count("<title>") == 1
    assert "<title>Gulf &lt;b&gt;watch&lt;/b&gt; &amp; co - risk as of 2024-06-30</title>" in head


def test_malformed_dicts_show_as_missing_not_a_traceback():
    data = sample_map_data(30)
    data.evaluation = {
        "summary": {"published": {"at": [{"area_fraction": "x", "hit_rate": {"mean": "NaN"}}]}},
        "wins": 3,
        "origins": "many",
        "notes": None,
    }
    data.model_report = {"factors": [1, None, {"selected": True, "rr_ci95": "x"}], "model": 5}
    data.hotspots = {"gi_star": [], "emerging": {"categories": {"a": "b"}}}
    panel = _panel(_html(data))
    assert "–" in panel


def test_page_is_byte_stable_and_panel_options():
    def build(**kw):
        data = sample_map_data(80, fitted=True, hotspots=True, evaluation=True)
        return _html(data, options=RenderOptions(**kw))

    assert build() == build()
    closed, opened = build(), build(show_panel=True)
    assert re.search(r"panelToggle\(map_\w+, false,", closed)
    assert re.search(r"panelToggle\(map_\w+, true,", opened)
    assert not re.search(r"[0-9a-f]{32}", closed)  # no random element ids left
    off = build(show_significance=False, show_emerging=True)
    assert off != closed


# ------------------------------------------------------------------ classes, antimeridian, basemap


def test_quantile_classes_hold_about_equal_counts_and_the_legend_states_them():
    from pipeline.classes import risk_class_breaks

    rng = np.random.default_rng(5)
    risk = np.round(100 * rng.beta(1.2, 6, 20_000), 1)  # a theatre where 80 is rare
    breaks = risk_class_breaks(risk, "quantile", 5)
    assert breaks.size == 6 and breaks[0] == risk.min() and breaks[-1] == risk.max()
    counts = np.bincount(np.clip(np.searchsorted(breaks, risk, "right") - 1, 0, 4), minlength=5)
    assert counts.min() > 0.15 * risk.size, counts
    # on fixed breaks the same run would be nearly all "very low"
    assert np.mean(risk < 20) > 0.5
    data = sample_map_data(400)
    page = _html(data, options=RenderOptions(classes="quantile"))
    legend = page[page.index('id="rr-legend"') :]
    assert "quantile classes of this run" in legend and "points, " in legend
    observed = data.scores.loc[data.scores["observed"], S.RISK]
    b = risk_class_breaks(observed, "quantile", 5)
    assert f"({b[0]:.4g}–{b[1]:.4g} points, " in legend


def test_natural_breaks_find_the_gaps():
    from pipeline.classes import risk_class_breaks

    rng = np.random.default_rng(2)
    groups = [rng.normal(m, 1.0, 500) for m in (10, 40, 75)]
    breaks = risk_class_breaks(np.concatenate(groups), "natural", 3)
    assert breaks.size == 4
    g = [np.round(x, 1) for x in groups]  # a break is the lowest score of its class
    assert g[0].max() < breaks[1] <= g[1].min() and g[1].max() < breaks[2] <= g[2].min()


def test_classes_of_tied_scores_merge_and_keep_labels_from_both_ends():
    from pipeline.render._payload import map_classes

    data = sample_map_data(100)
    data.scores[S.RISK] = np.where(np.arange(100) < 60, 5.0, 50.0)
    out = map_classes(data, "quantile")
    assert out.class_labels == ["very low", "very high"] and out.class_breaks == [5.0, 50.0, 50.1]
    obs = out.scores["observed"].to_numpy()
    assert set(out.scores.loc[obs, S.RISK_CLASS]) == {"very low", "very high"}
    assert out.scores.loc[~obs, S.RISK_CLASS].isna().all()
    assert map_classes(data, "fixed") is data
    with pytest.raises(InputError, match="'jenks'"):
        map_classes(data, "jenks")


def test_points_heat_and_rasters_are_moved_next_to_an_area_across_180():
    from pipeline.render import RasterOverlay
    from pipeline.render._layers import raster_in_view

    cells = np.unique(points_to_cells([179.5, -179.5, 179.9, -179.9], [-17, -17, -16.5, -16], 5))
    data = sample_map_data(cells=cells, n_seizures=0, n_events=0, n_periods=0)
    data.seizures = pd.DataFrame(
        {
            S.TIME: pd.to_datetime(["2024-01-01", "2024-02-01"], utc=True),
            S.LON: [-179.7, 179.6],
            S.LAT: [-17.0, -16.8],
            S.COMMODITY: ["cocaine", "heroin"],
        }
    )
    data.events = data.transit = data.timeline = None
    # a world raster with data only around Fiji, on both edges
    a = np.full((90, 360), np.nan)
    a[50:60, :3] = 1.0
    a[50:60, -3:] = 2.0
    data.rasters = [RasterOverlay("sst", a, (-180, -90, 180, 90))]
    page = _html(data, options=RenderOptions(show_heat=True, show_seizure_points=True))
    heat = json.loads(re.search(r"L\.heatLayer\(\s*(\[\[.*?\]\])", page, re.DOTALL).group(1))
    assert sorted(round(p[1], 1) for p in heat) == [179.6, 180.3]
    moved = raster_in_view(data.rasters[0], 180.0)
    assert moved.bounds[0] == pytest.approx(177.0) and moved.bounds[2] == pytest.approx(183.0)
    assert moved.array.shape == (10, 6) and np.isfinite(moved.array).all()
    assert moved.bounds[1] == pytest.approx(-30.0) and moved.bounds[3] == pytest.approx(-10.0)
    # a block given on 0..360 is shifted whole next to a view centred at -170
    block = RasterOverlay("b", np.ones((4, 4)), (188.0, 0.0, 192.0, 4.0))
    assert raster_in_view(block, -170.0).bounds == pytest.approx((-172.0, 0.0, -168.0, 4.0))


def test_basemap_scales_and_their_share_of_the_page():
    from pipeline.render._payload import BASEMAP_SCALES, basemap_payload

    data = sample_map_data(50)
    sizes = {s: len(_html(data, options=RenderOptions(basemap=s))) for s in BASEMAP_SCALES}
    assert sizes["110m"] < sizes["50m"] < sizes["10m"]
    assert 500_000 < sizes["50m"] - sizes["110m"] < 1_000_000
    assert "Natural Earth 1:50m" in _html(data)
    topo = basemap_payload(None)["topology"]
    assert {"land", "countries"} <= set(topo["objects"])
    with pytest.raises(InputError, match="'25m'"):
        _html(data, options=RenderOptions(basemap="25m"))


@pytest.mark.parametrize("scale", ["110m", "50m", "10m"])
def test_bundled_basemap_text_is_the_literal_of_its_parsed_topology(scale):
    from pipeline.render._escaping import to_js
    from pipeline.render._payload import basemap_js, basemap_payload

    assert basemap_js(None, scale) == to_js(basemap_payload(None, scale))
    own = gpd.GeoDataFrame(geometry=[shapely.box(-30, 5, -20, 15)], crs="EPSG:4326")
    assert basemap_js(own, scale) == to_js(basemap_payload(own, scale))


@pytest.mark.parametrize("scale", ["110m", "50m"])
def test_preview_land_is_unwrapped_across_the_antimeridian(scale):
    from pipeline.render._payload import basemap_topology
    from pipeline.render._preview import _topology_land

    land = _topology_land(basemap_topology(scale))
    x0, _, x1, _ = (np.asarray(v) for v in land.bounds.T.to_numpy())
    width = x1 - x0
    # only Antarctica circles the world; nothing else spans more than Eurasia (~200°)
    assert (width > 250).sum() == 1
    near180 = np.abs(np.mod(0.5 * (x0 + x1), 360) - 180) < 3
    fiji = (land.bounds["miny"] > -19).to_numpy() & (land.bounds["maxy"] < -15).to_numpy() & near180
    assert fiji.any() and (width[fiji] < 5).all()
    assert shapely.is_valid(land.to_numpy()).mean() > 0.98


def test_preview_is_framed_on_an_area_across_the_antimeridian(tmp_path):
    import matplotlib.image as mpimg

    rng = np.random.default_rng(4)
    lon = np.mod(rng.uniform(176, 184, 400) + 180, 360) - 180
    cells = np.unique(points_to_cells(lon, rng.uniform(-20, -14, 400), 4))
    data = sample_map_data(cells=cells, n_seizures=0, n_events=0, n_periods=0)
    data.scores["observed"] = True
    opts = RenderOptions(class_colors=("#ff00ff",) * 5)
    path = write_preview_png(data, tmp_path / "p.png", title="Fiji", options=opts)
    img = mpimg.imread(path)[..., :3]
    magenta = (img[..., 0] > 0.9) & (img[..., 1] < 0.2) & (img[..., 2] > 0.9)
    # framed on the area, the cells fill much of the picture (framed on the world: < 1 %)
    assert magenta.mean() > 0.15, magenta.mean()


def test_raster_overlay_takes_the_rasters_units():
    import rioxarray  # noqa: F401 - registers .rio
    import xarray as xr

    from pipeline.render import raster_to_overlay

    da = xr.DataArray(
        np.arange(12.0).reshape(3, 4),
        dims=("y", "x"),
        coords={"y": [2.5, 1.5, 0.5], "x": [0.5, 1.5, 2.5, 3.5]},
        attrs={"units": "mg m-3"},
    ).rio.write_crs("EPSG:4326")
    ov = raster_to_overlay("chl", da)
    assert ov is not None and ov.units == "mg m-3" and ov.bounds == (0.0, 0.0, 4.0, 3.0)
    data = sample_map_data(20)
    data.rasters = [ov]
    page = _html(data)
    assert "mg m-3" in page[page.index('id="rr-legend"') :]


def test_context_layers_ports_and_lanes_are_escaped_and_in_the_legend():
    data = sample_map_data(30)
    data.ports = pd.DataFrame(
        {"name": [HOSTILE, "Kingston"], S.LON: [-76.8, 181.0], S.LAT: [18.0, 0.0]}
    )
    data.lanes = gpd.GeoDataFrame(
        geometry=[shapely.LineString([(170, 0), (-170, 1)]), shapely.Point(0, 0)], crs="EPSG:4326"
    )
    page = _html(data)
    assert HOSTILE not in page
    payloads = [
        json.loads(m) for m in re.findall(r"routeRisk\.contextLayer\((\{.*?\})\);", page, re.DOTALL)
    ]
    kinds = {p["kind"]: p for p in payloads}
    assert set(kinds) == {"ports", "lanes"}
    assert kinds["ports"]["names"] == [escape_text(HOSTILE), "Kingston"]
    assert [f["geometry"]["type"] for f in kinds["lanes"]["geojson"]["features"]] == ["LineString"]
    assert kinds["ports"]["lon"][1] == pytest.approx(-179.0)  # within 180° of the area
    legend = page[page.index('id="rr-legend"') :]
    assert 'data-layer="ports"' in legend and 'data-layer="lanes"' in legend


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [("classes", "jenks", "quantile"), ("basemap", "25m", "50m"), ("flatgeobuf", "often", "bool")],
)
def test_render_config_options_are_checked_with_the_valid_choices(tmp_path, key, value, needle):
    from pipeline.config import load_config
    from pipeline.errors import RouteRiskError

    path = tmp_path / "c.yaml"
    path.write_text(f"inputs:\n  seizures: [{{path: s.csv}}]\nrender: {{{key}: {value}}}\n")
    with pytest.raises(RouteRiskError, match=needle):
        load_config(path)
    ok = path.with_name("ok.yaml")
    ok.write_text("inputs:\n  seizures: [{path: s.csv}]\n")
    render = load_config(ok).render
    assert (render.classes, render.basemap, render.flatgeobuf) == ("quantile", "50m", True)


def test_timeline_payload_is_the_pivot_of_the_timeline():
    from pipeline.render._slider import timeline_payload

    rng = np.random.default_rng(8)
    cells = np.sort(sample_cells(60))
    extra = sample_cells(70)[60:]  # rows of cells the layer does not show
    months = ["2024-03", "2023-12", "2024-01"]
    rows = pd.DataFrame(
        {
            S.CELL: np.concatenate([rng.choice(cells, 150), extra]),
            S.PERIOD: pd.Categorical(rng.choice(months, 150 + extra.size)),
            S.RISK: rng.uniform(0, 100, 150 + extra.size).round(3),
            "class": rng.integers(0, 5, 150 + extra.size).astype("float64"),
            "present_data_factors": rng.choice(["sar_mean,gap_events", None], 150 + extra.size),
        }
    )
    rows.loc[::7, S.RISK] = np.nan
    rows.loc[::11, "class"] = np.nan
    got = timeline_payload(rows, cells)
    periods = sorted(months)
    assert got["periods"] == periods
    frame = rows.assign(period=rows[S.PERIOD].astype(str))
    want = (
        frame.pivot_table(index=S.CELL, columns="period", values=S.RISK, aggfunc="mean")
        .reindex(index=cells, columns=periods)
        .to_numpy()
        .T
    )
    risk = np.array(got["risk"], dtype="float64")  # None -> nan
    np.testing.assert_array_equal(np.isnan(risk), np.isnan(want))
    # with the table's classes, the table's 0.01 precision (a 0.1 rounding reads as another class)
    np.testing.assert_allclose(risk[~np.isnan(risk)], np.round(want[~np.isnan(want)], 2))
    first = frame.drop_duplicates([S.CELL, "period"]).pivot(
        index=S.CELL, columns="period", values="class"
    )
    want_cls = first.reindex(index=cells, columns=periods).fillna(-1).to_numpy().T
    assert np.array_equal(np.array(got["cls"]), want_cls)
    firsts = frame.groupby("period", observed=True)["present_data_factors"].apply(
        lambda s: "" if s.iloc[0] is None else s.iloc[0]
    )
    assert got["present"] == [
        ", ".join(x.replace("_", " ") for x in firsts[p].split(",") if x) for p in periods
    ]


@pytest.mark.parametrize(
    "text",
    ["", "a", "a\n", "a\n\n", "x\r\ny\rz\r\n", 'var p = {"a": [1, {"b": "}}"}]};', "\n"],
)
def test_verbatim_macro_text_is_what_jinja_would_give(text):
    from branca.element import Element

    from pipeline.render._layers import _Verbatim

    assert _Verbatim(text).render() == Element(text).render()


def test_quantile_classes_of_a_tied_block_keep_the_top_cells_out_of_the_lowest_class():
    # 516 cells at risk 0 and 2 at 100: every quantile fell in the block, the breaks merged
    # into one class and the cells at 100 were published 'very low' with the block
    from pipeline.classes import class_labels_for, risk_class_breaks

    risk = np.r_[np.zeros(516), [100.0, 100.0]]
    breaks = risk_class_breaks(risk, "quantile", 5)
    labels = class_labels_for(["very low", "low", "medium", "high", "very high"], breaks.size - 1)
    codes = np.clip(np.searchsorted(breaks, risk, side="right") - 1, 0, len(labels) - 1)
    assert [labels[c] for c in codes[-2:]] == ["very high", "very high"]
    assert labels[codes[0]] == "very low"


def test_overlay_png_decodes_to_its_pixels_and_is_smaller_work_than_folium_s():
    # the raster overlay's PNG is ours (zlib 6): folium's encoder (zlib 9) spent over a second
    # a run on a noisy overlay; the pixels must be exactly those folium would have written
    import base64
    import io

    from branca.utilities import write_png
    from PIL import Image

    from pipeline.render._map import png_data_url

    rng = np.random.default_rng(3)
    rgba = rng.integers(0, 256, size=(41, 67, 4), dtype=np.uint8)
    url = png_data_url(rgba)
    assert url.startswith("data:image/png;base64,")
    png = base64.b64decode(url.split(",", 1)[1])
    ours = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    theirs = np.asarray(Image.open(io.BytesIO(write_png(rgba))).convert("RGBA"))
    assert np.array_equal(ours, rgba) and np.array_equal(ours, theirs)
    floats = rgba / 255.0  # folium also takes floats in [0, 1]
    png = base64.b64decode(png_data_url(floats).split(",", 1)[1])
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), rgba)
    with pytest.raises(InputError, match="rows x columns x RGBA"):
        png_data_url(rgba[..., :3])


def test_the_legend_of_a_fitted_risk_says_percentile_not_points():
    """Under the fitted model the risk is the percentile of expected events per km²: the
    legend said "Risk score (points of 100)" and "(0-20 points)" all the same."""
    from pipeline.testing import sample_model_report

    data = sample_map_data(60)
    weighted = _html(data)
    weighted = weighted[weighted.index('id="rr-legend"') :]
    assert "Risk score (points of 100)" in weighted and " points, " in weighted
    data.model_report = sample_model_report(["count_365d"])
    fitted = _html(data)
    fitted = fitted[fitted.index('id="rr-legend"') :]
    assert "Risk (percentile of expected events per km², 0-100)" in fitted
    assert "points of 100" not in fitted.split('id="rr-legend-risk-note"')[0]
    assert " points, " not in fitted.split('id="rr-legend-risk-note"')[0]


def test_heat_layer_holds_the_points_folium_checks_one_by_one():
    """The seizure heat layer checks its points at once: the same numbers as folium's
    point-by-point check (a tenth of the page's time), and its refusal of a NaN."""
    from folium.plugins import HeatMap

    from pipeline.render._layers import HeatMapLayer

    rng = np.random.default_rng(8)
    pts = np.round(rng.uniform([-60, -190], [60, 190], (500, 2)), 4)
    pts[3] = [-0.0, 0.0]
    ours = HeatMapLayer(pts, name="heat", radius=14, blur=12)
    theirs = HeatMap(pts.tolist(), name="heat", radius=14, blur=12)
    assert ours.data == theirs.data
    assert [type(v) for row in ours.data for v in row] == [float] * pts.size
    assert repr(ours.data) == repr(theirs.data)  # -0.0 stays -0.0
    assert ours.options == theirs.options
    assert HeatMapLayer(np.empty((0, 2)), name="none").data == []
    with pytest.raises(ValueError, match="NaN"):
        HeatMapLayer(np.array([[1.0, np.nan]]))
    with pytest.raises(InputError, match="pairs"):
        HeatMapLayer(np.ones((2, 3)))
