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


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_escape_text_is_inert_and_reversible(text):
    out = escape_text(text)
    assert not (set(out) & FORBIDDEN)
    assert htmllib.unescape(out) == text


# ------------------------------------------------------------------ compact cells


def _decode_like_js(groups):
    """The decoder of route_risk.js, in Python."""
    out = []
    for g in groups:
        shift = 3 * (15 - g["res"])
        acc = int(g["first"], 16) >> shift
        out.append(int(g["first"], 16))
        for tok in g["deltas"].split(",") if g["deltas"] else []:
            acc += int(tok, 36)
            out.append((acc << shift) | ((1 << shift) - 1))
    return np.array(out, dtype="uint64")


def test_base36_matches_python():
    values = np.array([0, 1, 35, 36, 2**40 + 7, 2**52 - 1], dtype="uint64")
    assert base36(values).split(",") == [np.base_repr(int(v), 36).lower() for v in values]


@settings(max_examples=40, deadline=None)
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
    assert np.array_equal(_decode_like_js(encode_cells(cells)), cells)


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
    # HTML sinks: title, as-of, run id, inputs, class legend, raster legend name and units
    assert page.count(escape_text(HOSTILE)) == 7
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
