"""The manifest: what a run read, assumed, computed and published (written last).

JSON here is strict: NaN and infinities become ``null`` (bare ``NaN`` is not JSON), numpy
scalars become plain numbers and anything else its text.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..io import atomic_write_text, sha256_file

__all__ = [
    "code_version",
    "key_version",
    "reader_settings",
    "tz_rules",
    "dumps_strict",
    "factor_entries",
    "jsonable",
    "output_entries",
    "versions",
    "write_json",
]

#: The libraries whose versions the manifest records and the cache keys hold: those that
#: read the inputs or compute a published value (and the map's folium and branca).
_VERSIONED = (
    "numpy",
    "pandas",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "h3",
    "h3ronpy",
    "folium",
    "branca",
    "rasterio",
    "xarray",
    "rioxarray",
    "h5netcdf",
    "h5py",
    "dask",
    "distributed",
    "scipy",
    "statsmodels",
    "pyarrow",
    "pydantic",
    "openpyxl",
    "python-dateutil",
    "tzdata",
)


#: The package's folder, whose source files :func:`code_version` hashes.
_ROOT = Path(__file__).resolve().parents[1]
_PACKAGE = __name__.split(".")[0]

#: The last hash of the source and the modules it stood for: each loaded module of the
#: package with the spec it was loaded by (a reload gives the module a new spec).
_code_hash: tuple[dict[str, Any], str] | None = None


def code_version() -> str:
    """Return the package version plus a hash of its source (``0.1.0+3f2a9c1d0b7e``).

    The version alone does not change between commits; cache keys and the run key use this,
    so a changed reader never serves a table parsed by the old one.  Hashed once, and again
    when a module of the package was reloaded since (``importlib.reload``, IPython's
    ``%autoreload``): the process then runs the edited code.  It was hashed once a process,
    and a notebook that reloaded a fixed reader kept the old code's key - its next run was
    "up to date" and published the tables the old reader made.  A file edited but not
    reloaded changes nothing: the process still runs the code it imported.
    """
    global _code_hash
    held = _code_hash
    if held is None or _reloaded(held[0]):
        loaded = {
            name: getattr(module, "__spec__", None)
            for name, module in list(sys.modules.items())
            if module is not None and (name == _PACKAGE or name.startswith(_PACKAGE + "."))
        }
        h = hashlib.sha256()
        for path in sorted(_ROOT.rglob("*.py")):
            h.update(str(path.relative_to(_ROOT)).encode())
            h.update(path.read_bytes())
        held = (loaded, f"{__version__}+{h.hexdigest()[:12]}")
        _code_hash = held
    return held[1]


def _reloaded(loaded: dict[str, Any]) -> bool:
    """Whether a module of ``loaded`` was reloaded (or removed) since it was recorded."""
    for name, spec in loaded.items():
        module = sys.modules.get(name)
        if module is None or getattr(module, "__spec__", None) is not spec:
            return True
    return False


#: Prefixes of the environment variables GDAL, OGR and PROJ read as settings: some change
#: the values read (``GDAL_PAM_ENABLED=NO`` ignores an ``.aux.xml``'s scale and offset,
#: ``SHAPE_ENCODING`` decodes a ``.dbf``'s text, ``PROJ_NETWORK`` fetches datum grids).
_READER_SETTINGS = ("GDAL_", "CPL_", "OGR_", "OSR_", "PROJ_", "SHAPE_", "DXF_")


#: Parts of the names of settings that hold credentials (``GDAL_HTTP_USERPWD``, a token) or
#: say how to reach a remote file (``GDAL_CURL_CA_BUNDLE``, which rasterio and pyproj set when
#: imported): they change no value read from a file, and are neither keyed nor recorded.
_NOT_READING = (
    "PWD",
    "PASSWORD",
    "SECRET",
    "TOKEN",
    "KEY",
    "AUTH",
    "HEADER",
    "COOKIE",
    "CERT",
    "CURL",
    "HTTP",
    "CA_BUNDLE",
)


def reader_settings() -> dict[str, str]:
    """Return the environment's GDAL, OGR and PROJ settings (see :data:`_READER_SETTINGS`).

    Credentials and the settings of remote access (:data:`_NOT_READING`) are left out.
    """
    return {
        k: v
        for k, v in sorted(os.environ.items())
        if k.startswith(_READER_SETTINGS) and not any(c in k.upper() for c in _NOT_READING)
    }


def key_version(libraries: dict[str, str] | None = None) -> str:
    """Return the code a cache entry or a run is keyed by: route-risk's and its libraries'.

    :func:`code_version`, the version of Python, of each library of :func:`versions`
    (``libraries``: what :func:`versions` returned at the run's start; read from the
    installed metadata when None - each read takes about 10 ms, a run reads once) and of
    the time-zone rules local times are converted by (:func:`tz_rules`), and the
    GDAL, OGR and PROJ settings of the environment (:func:`reader_settings`).  The tables a
    library computes (pandas and pyogrio parse the inputs, h3 makes the cells, scipy and
    statsmodels fit) are not served from the cache after it is upgraded or set otherwise.
    """
    libs = versions() if libraries is None else libraries
    text = json.dumps([libs, reader_settings()], sort_keys=True)
    return f"{code_version()}+{hashlib.sha256(text.encode()).hexdigest()[:12]}"


#: The libraries' versions last read, with the ``sys.path`` state and reader they were read by.
_library_versions: tuple[tuple, Any, dict[str, str]] | None = None


#: The module a distribution of :data:`_VERSIONED` is imported as, where the names differ.
_MODULE_OF = {"python-dateutil": "dateutil"}


def versions() -> dict[str, str]:
    """Versions of route-risk, Python and the core libraries.

    A library this process has imported is the version it imported (its ``__version__``):
    the code that runs.  The others' versions are read from the installed metadata (~9 ms,
    every run asks) again only when a folder of ``sys.path`` changed since the last read
    (installing or upgrading a package writes its metadata folder there:
    :func:`pipeline.factors.path_state`).  Read from the metadata alone, a library upgraded
    in a running kernel (``%pip install -U pandas``, no restart) was keyed by the new version
    while the old one, still imported, made the tables: the cache then served them to every
    later process that runs the new one.
    """
    import importlib.metadata as md

    from ..factors import path_state

    global _library_versions
    seen = (path_state(), md.version)
    if _library_versions is None or _library_versions[:2] != seen:
        libs: dict[str, str] = {}
        for n in _VERSIONED:
            with contextlib.suppress(md.PackageNotFoundError):
                libs[n] = md.version(n)
        _library_versions = (*seen, libs)
    out = {"route-risk": code_version(), "python": platform.python_version()}
    out.update(_library_versions[2])
    for n in _VERSIONED:
        imported = getattr(sys.modules.get(_MODULE_OF.get(n, n)), "__version__", None)
        if isinstance(imported, str) and imported:
            out[n] = imported
    if (tz := tz_rules()) is not None:
        out["tz rules"] = tz
    return out


def tz_rules() -> str | None:
    """Return the version of the time-zone rules a local time is converted by, or None.

    pandas converts a zone (``Europe/Lisbon``) with :mod:`zoneinfo`, which reads the
    system's rules (``/usr/share/zoneinfo``) before the ``tzdata`` package's: a system
    update of them (2025b to 2026a) changes the UTC times of a file's local times while no
    package's version does.  The version line of the first rules file found on
    ``zoneinfo.TZPATH`` (``tzdata.zi``, or ``+VERSION``) with a digest of the file; None
    without one (the ``tzdata`` package's rules, keyed by its version).
    """
    import zoneinfo

    for folder in zoneinfo.TZPATH:
        for name in ("tzdata.zi", "+VERSION"):
            path = Path(folder) / name
            try:
                data = path.read_bytes()
            except OSError:
                continue
            first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
            version = first.removeprefix("# version").strip()
            return f"{version}+{hashlib.sha256(data).hexdigest()[:12]} ({folder})"
    return None


def jsonable(obj: Any) -> Any:
    """Return ``obj`` as strict JSON data: NaN/inf to None, numpy to Python, paths to text.

    pandas' missing values (``pd.NA`` of a nullable column, ``pd.NaT``) are None too: as
    text they were a value (``"<NA>"``) where a reader of the JSON expects a number or null.
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        items = sorted(obj, key=str) if isinstance(obj, set | frozenset) else obj
        return [jsonable(v) for v in items]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if obj is pd.NA or obj is pd.NaT:  # pandas' missing values: null, never "<NA>" or "NaT"
        return None
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    return str(obj)


def dumps_strict(obj: Any) -> str:
    """Serialise to JSON that every parser accepts (``allow_nan=False`` after cleaning)."""
    return json.dumps(jsonable(obj), indent=2, allow_nan=False) + "\n"


def write_json(path: Path, obj: Any) -> Path:
    """Write strict JSON atomically."""
    return atomic_write_text(path, dumps_strict(obj))


def output_entries(published: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """Path, sha256 and size of each published output."""
    return {
        name: {"path": p.name, "sha256": sha256_file(p), "bytes": p.stat().st_size}
        for name, p in sorted(published.items())
    }


def factor_entries(table, available, info=None, units=None) -> dict[str, dict[str, Any]]:
    """Return unit, description and coverage of each factor in the features table.

    ``units`` overrides a built-in factor's unit where the run knows it (a raster's declared
    unit: :func:`pipeline.runner.stages.raster_factor_units`), as the map's card states it.

    ``missing_text`` is the run's own where it knows better (``info``, the features' per
    factor information: no track lasts the hours an event takes), as the map's card says.
    A plug-in's entry also has its ``code_digest`` (:meth:`pipeline.factors.Factor.code_digest`);
    a factor that is a fixed geography (:class:`pipeline.factors.Factor`) says
    ``fixed_geography: true``.
    """
    from .. import schema as S

    out = {}
    for n in table.columns:
        if n not in available:
            continue
        covered = table[n + S.COVERED_SUFFIX].to_numpy(dtype=bool)
        f = available[n]
        out[n] = {
            "unit": (units or {}).get(n, f.unit) if f.builtin else f.unit,
            "description": f.description,
            "missing_text": ((info or {}).get(n) or {}).get("missing_text") or f.missing_text,
            "cells_covered": int(covered.sum()),
            "cells_not_covered": int((~covered).sum()),
        }
        if f.fixed_geography:  # the same at every back-test origin and slider month
            out[n]["fixed_geography"] = True
        if not f.builtin:  # which code of the plug-in made its column
            out[n]["code_digest"] = f.code_digest()
    return out
