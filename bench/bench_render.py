"""Map size and speed: route-risk's offline map vs plain ``folium.GeoJson`` of the same cells.

For 1,000 / 10,000 / 100,000 H3 cells (resolution 7) with the same per-cell data (risk, class,
three factors with value and contribution), both pages are built in this process and opened in
headless Chromium (Debian ``chromium``):

* ours: ``build_map`` + ``map_to_html`` (assets inline, network blocked); first render = from
  navigation start to ``window.routeRisk.ready`` with every hexagon drawn.
* folium: ``folium.GeoJson(gdf, style_function, tooltip=GeoJsonTooltip)`` of
  ``cells_to_geodataframe``; its CDN scripts are answered from the vendored Leaflet (others
  empty) so that no network time is counted; first render = until every cell is an SVG path.

Goal at 100,000 cells: HTML <= 15 MB, first render <= 5 s, >= 3x smaller than plain folium.
Each row also reports the offline basemap's bytes in the page (the Natural Earth topology at
the default 1:50m and the TopoJSON client) and its share of the page, and the page's size
with the 1:10m basemap instead (``render.basemap: 10m``).

Usage: ``.venv/bin/python bench/bench_render.py [--quick] [--cells N ...] [--ours-only]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import folium  # noqa: E402

from bench._common import measure, write_results  # noqa: E402
from pipeline import schema as S  # noqa: E402
from pipeline.grid import cells_to_geodataframe  # noqa: E402
from pipeline.render import RenderOptions, build_map, map_to_html  # noqa: E402
from pipeline.render._assets import asset_text  # noqa: E402
from pipeline.render._escaping import to_js  # noqa: E402
from pipeline.render._payload import basemap_payload  # noqa: E402
from pipeline.testing import sample_map_data  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
COLOURS = {
    "very low": "#ffffb2",
    "low": "#fecc5c",
    "medium": "#fd8d3c",
    "high": "#f03b20",
    "very high": "#bd0026",
}


def _data(n: int):
    data = sample_map_data(n, n_seizures=0, n_events=0, n_periods=0)
    data.seizures = data.events = data.transit = data.timeline = None
    data.rasters = []
    return data


def ours(data, basemap: str = "50m") -> str:
    opts = RenderOptions(basemap=basemap)
    m = build_map(data, as_of="2024-06-30", run_id="bench", inputs=["bench"], options=opts)
    return map_to_html(m)


def basemap_bytes(scale: str = "50m") -> int:
    """Bytes of the offline basemap in a page: its topology literal and the TopoJSON client."""
    payload = to_js(basemap_payload(None, scale))
    return len(payload.encode()) + len(asset_text("topojson-client/topojson-client.min.js"))


def plain_folium(data) -> str:
    s = data.scores
    fields = [S.RISK, S.RISK_CLASS] + [
        c for f in data.factors for c in (f.name, f.name + S.CONTRIB_SUFFIX)
    ]
    gdf = cells_to_geodataframe(s[S.CELL].to_numpy(), **{c: s[c].to_numpy() for c in fields})
    m = folium.Map(tiles=None)
    folium.GeoJson(
        gdf,
        style_function=lambda f: {
            "fillColor": COLOURS.get(f["properties"][S.RISK_CLASS], "#999"),
            "color": "#333",
            "weight": 0.3,
            "fillOpacity": 0.7,
        },
        tooltip=folium.GeoJsonTooltip(fields=fields),
    ).add_to(m)
    m.fit_bounds(
        [[gdf.total_bounds[1], gdf.total_bounds[0]], [gdf.total_bounds[3], gdf.total_bounds[2]]]
    )
    return m.get_root().render()


def _serve_cdn(route):
    url = route.request.url
    if url.startswith("file://"):
        route.continue_()
    elif url.endswith("leaflet.js"):
        route.fulfill(body=asset_text("leaflet/leaflet.js"), content_type="text/javascript")
    elif url.endswith("leaflet.css"):
        route.fulfill(body=asset_text("leaflet/leaflet.css"), content_type="text/css")
    elif url.endswith(".js"):
        route.fulfill(body="", content_type="text/javascript")
    elif url.endswith(".css"):
        route.fulfill(body="", content_type="text/css")
    else:
        route.abort()


def first_render(browser, path: Path, kind: str, n: int, timeout_s: float) -> tuple[float, int]:
    """Seconds from navigation start until every cell is drawn, and the cells drawn."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", _serve_cdn)
    try:
        page.goto(path.as_uri(), wait_until="commit", timeout=timeout_s * 1000)
        if kind == "ours":
            page.wait_for_function(
                "() => window.routeRisk && routeRisk.ready", timeout=timeout_s * 1000, polling=50
            )
            drawn = page.evaluate("() => routeRisk.hexCount")
        else:
            page.wait_for_function(
                "(n) => document.querySelectorAll('path.leaflet-interactive').length >= n",
                arg=n,
                timeout=timeout_s * 1000,
                polling=250,
            )
            drawn = page.evaluate(
                "() => document.querySelectorAll('path.leaflet-interactive').length"
            )
        # wait one frame so the canvas/SVG is painted, then read the time since navigation
        seconds = page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => r(performance.now() / 1000)))"
        )
    except Exception as exc:  # noqa: BLE001 - a timeout is a result here
        print(f"  {kind} n={n}: no first render within {timeout_s:.0f} s ({type(exc).__name__})")
        seconds, drawn = float("nan"), -1
    if errors:
        print(f"  {kind} n={n}: page errors {errors[:3]}")
    ctx.close()
    return seconds, drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 cells only")
    parser.add_argument("--cells", type=int, nargs="+", help="cell counts (default 1e3..1e5)")
    parser.add_argument("--ours-only", action="store_true", help="skip plain folium")
    args = parser.parse_args()
    sizes = args.cells or ([1000] if args.quick else [1000, 10_000, 100_000])
    kinds = (("ours", ours),) if args.ours_only else (("ours", ours), ("folium", plain_folium))
    base_b = basemap_bytes("50m")
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for n in sizes:
            data = _data(n)
            res = {}
            for kind, fn in kinds:
                seconds, peak, html = measure(lambda fn=fn, data=data: fn(data))
                path = Path(tmp) / f"{kind}_{n}.html"
                path.write_text(html, encoding="utf-8")
                render_s, drawn = first_render(browser, path, kind, n, timeout_s=180)
                res[kind] = (len(html.encode()), seconds, render_s, drawn, peak)
                del html
            (o_size, o_build, o_render, o_drawn, o_peak) = res["ours"]
            nan = float("nan")
            (f_size, f_build, f_render, f_drawn, f_peak) = res.get("folium", (nan,) * 5)
            size_10m = len(ours(data, "10m").encode())
            rows.append(
                {
                    "cells": n,
                    "ours_MB": o_size / 1e6,
                    "basemap_MB": base_b / 1e6,
                    "basemap_share": base_b / o_size,
                    "ours_10m_MB": size_10m / 1e6,
                    "folium_MB": f_size / 1e6,
                    "size_ratio": f_size / o_size,
                    "ours_build_s": o_build,
                    "folium_build_s": f_build,
                    "ours_render_s": o_render,
                    "folium_render_s": f_render,
                    "ours_drawn": o_drawn,
                    "folium_drawn": f_drawn,
                    "ours_peak_MB": o_peak / 1e6,
                    "folium_peak_MB": f_peak / 1e6,
                }
            )
            print(rows[-1], flush=True)
        browser.close()
    big = rows[-1]
    goal = {
        "cells": big["cells"],
        "html_le_15MB": big["ours_MB"] <= 15,
        "render_le_5s": big["ours_render_s"] <= 5,
        "ge_3x_smaller": big["size_ratio"] >= 3,
        "html_10m_le_15MB": big["ours_10m_MB"] <= 15,
    }
    # a partial run (some sizes, no folium) does not replace the full run's results
    name = "render" if not (args.cells or args.ours_only) else "render_partial"
    write_results(name, rows, goal=goal, quick=args.quick, measured_at=time.strftime("%F %T"))
    print("goal at", goal)


if __name__ == "__main__":
    main()
