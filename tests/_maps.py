"""Helpers of the map tests: open a map offline in Chromium, decode its cells as the JS does."""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: True once route_risk.js has added every layer.
READY = "() => window.routeRisk && window.routeRisk.ready === true"


def open_offline(page, path: Path) -> None:
    """Open ``path`` with every request that is not a local file aborted; wait until drawn."""
    page.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort()
    )
    page.goto(Path(path).resolve().as_uri())
    page.wait_for_function(READY, timeout=20_000)


def decode_like_js(groups) -> np.ndarray:
    """Return the cells of an encoded layer, decoded as route_risk.js's decodeCells does."""
    out = []
    for g in groups:
        shift = 3 * (15 - g["res"])
        acc = int(g["first"], 16) >> shift
        out.append(int(g["first"], 16))
        for tok in g["deltas"].split(",") if g["deltas"] else []:
            acc += int(tok, 36)
            out.append((acc << shift) | ((1 << shift) - 1))
    return np.array(out, dtype="uint64")


def write_sample_map(data, folder: Path, **options) -> Path:
    """Write ``data`` (a :func:`pipeline.testing.sample_map_data`) as ``folder/map.html``.

    The run's fields are fixed (as_of 2026-06-30, run id ``run-1``); ``options`` are
    :class:`pipeline.render.RenderOptions` fields.
    """
    from pipeline.render import RenderOptions, write_map

    return write_map(
        data,
        Path(folder) / "map.html",
        as_of="2026-06-30",
        run_id="run-1",
        inputs=["seizures.csv"],
        options=RenderOptions(**options),
    )


def pin_by_search(page, text: str) -> None:
    """Type ``text`` in the map's find box, press Enter and wait until its card is pinned and
    the map has stopped moving.

    Leaflet pans a new popup into view over ~0.25 s; a click on the card's copy button while
    it moves can land where the button was, on the map, which closes the card (CI once).
    """
    page.evaluate(
        "() => { if (window.__rrMoving !== undefined) return; window.__rrMoving = 0;"
        " routeRisk.map.on('movestart', () => { window.__rrMoving += 1; });"
        " routeRisk.map.on('moveend', () => { window.__rrMoving -= 1; }); }"
    )
    page.fill("#rr-search", text)
    page.press("#rr-search", "Enter")
    page.wait_for_selector(".rr-pinned .rr-card")
    wait_map_at_rest(page)


def wait_map_at_rest(page) -> None:
    """Wait until the map has ended every move begun since :func:`pin_by_search` (a redrawn
    card that grew is panned into view too).  A pan's animation frames come late in a
    browser starved by a loaded machine: 5 s once ran out during the full suite (the same
    test passes in under 8 s alone), so the wait allows 15 s."""
    page.wait_for_function("() => window.__rrMoving === 0", timeout=15_000)
