"""Raster overlays on the map: our PNG encoder vs folium's (branca ``write_png``) and Pillow.

The demo's rasters (night lights, SAR detections) are opened and clipped to the demo area as
a run does, downsampled and coloured for the map (``raster_to_overlay``, ``raster_rgba``),
then encoded three ways in this process:

* branca: ``branca.utilities.write_png``, what ``folium.raster_layers.ImageOverlay`` calls
  for an array (no row filter, zlib level 9);
* pillow: ``PIL.Image.save(format="PNG", compress_level=6)`` (adaptive row filters);
* ours: :func:`pipeline.render._map.png_data_url` (branca's PNG at zlib level 6).

Each row gives the seconds (best of 3), peak extra memory, PNG bytes and the ratios to ours;
the three PNGs decode to the same pixels (checked).

Usage: ``.venv/bin/python bench/bench_overlay.py [--quick]`` (``--quick``: the small demo).
"""

from __future__ import annotations

import argparse
import base64
import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from branca.utilities import write_png  # noqa: E402
from PIL import Image  # noqa: E402

from bench._common import measure, write_results  # noqa: E402
from pipeline.demo import DEMO_BBOX, generate_demo  # noqa: E402
from pipeline.ingest import clip_raster, open_raster  # noqa: E402
from pipeline.ingest.options import RasterSource  # noqa: E402
from pipeline.render import raster_to_overlay  # noqa: E402
from pipeline.render._layers import raster_rgba  # noqa: E402
from pipeline.render._map import png_data_url  # noqa: E402


def _pillow(rgba: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG", compress_level=6)
    return buf.getvalue()


def _ours(rgba: np.ndarray) -> bytes:
    return base64.b64decode(png_data_url(rgba).split(",", 1)[1])


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def main() -> None:
    """Encode the demo's overlays three ways; write ``bench/results/overlay.json``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the small demo's rasters")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-overlay-") as tmp:
        kw = {"n_seizures": 800, "n_vessels": 12, "days": 4} if args.quick else {}
        files = generate_demo(Path(tmp), **kw)
        for name, path in (("nightlights", files.nightlights), ("sar", files.sar)):
            da = open_raster(RasterSource(path=str(path), name=name))
            da = clip_raster(da, DEMO_BBOX, margin_km=20.0)
            overlay = raster_to_overlay(name, da)
            assert overlay is not None
            rgba, _, _ = raster_rgba(overlay)
            got = {}
            for who, fn in (("branca", write_png), ("pillow", _pillow), ("ours", _ours)):
                s, peak, png = measure(lambda fn=fn, rgba=rgba: fn(rgba), repeat=3)
                got[who] = (s, peak, png)
            ref = _pixels(got["ours"][2])
            same = all(np.array_equal(_pixels(got[w][2]), ref) for w in ("branca", "pillow"))
            s_ours, _, png_ours = got["ours"]
            rows.append(
                {
                    "raster": name,
                    "pixels": f"{rgba.shape[1]}x{rgba.shape[0]}",
                    **{f"{w}_s": round(got[w][0], 4) for w in got},
                    **{f"{w}_kb": round(len(got[w][2]) / 1024, 1) for w in got},
                    **{f"{w}_peak_mb": round(got[w][1] / 2**20, 1) for w in got},
                    "speedup_vs_branca": round(got["branca"][0] / s_ours, 1),
                    "speedup_vs_pillow": round(got["pillow"][0] / s_ours, 1),
                    "size_vs_branca": round(len(png_ours) / len(got["branca"][2]), 2),
                    "same_pixels": same,
                }
            )
    write_results("overlay", rows, quick=args.quick)


if __name__ == "__main__":
    main()
