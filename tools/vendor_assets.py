"""Re-fetch the browser assets that ``pipeline/render/`` inlines into every map.

Usage::

    .venv/bin/python tools/vendor_assets.py          # npm pack, rewrite pipeline/assets/
    .venv/bin/python tools/vendor_assets.py --check  # verify the files against their sha256

Each package is downloaded from the npm registry with ``npm pack NAME@VERSION`` (pinned
versions; the registry's sha512 ``integrity`` of each tarball is recorded in the README), only the
minified files the map needs are copied with their licence, and ``pipeline/assets/README.md`` is
rewritten with the origin, version and sha256 of every file.  Nothing is fetched at run time.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[1] / "pipeline" / "assets"

# name, version, licence, {source path in tarball: destination path}
PACKAGES = [
    (
        "leaflet",
        "1.9.4",
        "BSD-2-Clause",
        {
            "package/dist/leaflet.js": "leaflet/leaflet.js",
            "package/dist/leaflet.css": "leaflet/leaflet.css",
            "package/dist/images/layers.png": "leaflet/images/layers.png",
            "package/dist/images/layers-2x.png": "leaflet/images/layers-2x.png",
            "package/dist/images/marker-icon.png": "leaflet/images/marker-icon.png",
            "package/LICENSE": "leaflet/LICENSE",
        },
    ),
    (
        "h3-js",
        "4.2.1",
        "Apache-2.0",
        {
            "package/dist/h3-js.umd.js": "h3-js/h3-js.umd.js",
            "package/LICENSE": "h3-js/LICENSE",
            "package/NOTICE": "h3-js/NOTICE",
        },
    ),
    (
        "leaflet.markercluster",
        "1.5.3",
        "MIT",
        {
            "package/dist/leaflet.markercluster.js": "markercluster/leaflet.markercluster.js",
            "package/dist/MarkerCluster.css": "markercluster/MarkerCluster.css",
            "package/dist/MarkerCluster.Default.css": "markercluster/MarkerCluster.Default.css",
            "package/MIT-LICENCE.txt": "markercluster/LICENSE",
        },
    ),
    (
        "leaflet.heat",
        "0.2.0",
        "BSD-2-Clause",
        {
            "package/dist/leaflet-heat.js": "leaflet-heat/leaflet-heat.js",
            "package/LICENSE": "leaflet-heat/LICENSE",
        },
    ),
    (
        "topojson-client",
        "3.1.0",
        "ISC",
        {
            "package/dist/topojson-client.min.js": "topojson-client/topojson-client.min.js",
            "package/LICENSE": "topojson-client/LICENSE",
        },
    ),
    (
        "world-atlas",
        "2.0.2",
        "ISC (data: Natural Earth, public domain)",
        {
            "package/countries-110m.json": "world-atlas/countries-110m.json",
            "package/countries-50m.json": "world-atlas/countries-50m.json",
            "package/countries-10m.json": "world-atlas/countries-10m.json",
            "package/LICENSE": "world-atlas/LICENSE",
        },
    ),
]


def _strip_properties(path: Path) -> None:
    """Drop the country names: the offline basemap draws outlines only, so no third-party text."""
    topo = json.loads(path.read_text(encoding="utf-8"))
    for obj in topo["objects"].values():
        for geom in obj.get("geometries", []):
            geom.pop("properties", None)
            geom.pop("id", None)
    path.write_text(json.dumps(topo, separators=(",", ":")), encoding="utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(dest: Path = ASSETS) -> None:
    """Download every package with ``npm pack`` and copy the needed files into ``dest``."""
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is required: apt-get install npm")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        for name, version, licence, files in PACKAGES:
            spec = f"{name}@{version}"
            out = subprocess.run(
                [npm, "pack", spec, "--json"], cwd=tmp, check=True, capture_output=True, text=True
            )
            info = json.loads(out.stdout)[0]
            tgz = tmp_path / info["filename"]
            unpack = tmp_path / name
            with tarfile.open(tgz) as tar:
                tar.extractall(unpack, filter="data")
            for src, dst in files.items():
                target = dest / dst
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(unpack / src, target)
                if Path(dst).name.startswith("countries-"):
                    _strip_properties(target)
                if dst.endswith("countries-10m.json"):  # 3.6 MB: kept gzipped in the package
                    with open(target, "rb") as src_f:
                        data = src_f.read()
                    target.unlink()
                    target = target.with_name(target.name + ".gz")
                    with gzip.GzipFile(target, "wb", compresslevel=9, mtime=0) as gz:
                        gz.write(data)
                    dst += ".gz"
                rows.append((dst, spec, licence, info["integrity"], _sha256(target)))
    _write_readme(dest, rows)


def _write_readme(dest: Path, rows: list[tuple[str, str, str, str, str]]) -> None:
    lines = [
        "# Vendored browser assets",
        "",
        "Inlined into every map by `pipeline/render/`, so a map needs no network at all.",
        "Generated by `tools/vendor_assets.py` (do not edit by hand); re-run it to update.",
        "Every file comes from the npm registry tarball named below (`npm pack NAME@VERSION`),",
        "unchanged except `world-atlas/countries-{110m,50m,10m}.json`, whose country names and ids",
        "are removed (outlines only); the 1:10m file is stored gzipped.  The basemap data is Natural Earth Admin 0 at 1:50m (the",
        "default), 1:10m or 1:110m (`render.basemap`; public domain, https://www.naturalearthdata.com/),",
        "as TopoJSON by world-atlas (ISC).",
        "`route_risk.js` and `route_risk.css` are route-risk's own code (not vendored, not listed).",
        "",
        "| file | npm package | licence | sha256 |",
        "|---|---|---|---|",
    ]
    for dst, spec, licence, _integrity, sha in rows:
        lines.append(f"| `{dst}` | `{spec}` | {licence} | `{sha}` |")
    lines += ["", "npm tarball integrity:", ""]
    for spec, integrity in dict((r[1], r[3]) for r in rows).items():
        lines.append(f"- `{spec}`: `{integrity}`")
    (dest / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def check(dest: Path = ASSETS) -> int:
    """Compare every file listed in the README with its recorded sha256; return an exit code."""
    bad = 0
    for line in (dest / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            cells = [c.strip().strip("`") for c in line.strip("|").split("|")]
            path, sha = dest / cells[0], cells[3]
            if not path.is_file() or _sha256(path) != sha:
                print(f"MISMATCH {cells[0]}")
                bad += 1
    print("ok" if not bad else f"{bad} file(s) differ")
    return 1 if bad else 0


def main() -> int:
    """Fetch the assets (or only check them with ``--check``); return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify sha256 only, fetch nothing")
    args = parser.parse_args()
    if args.check:
        return check()
    fetch()
    return check()


if __name__ == "__main__":
    sys.exit(main())
