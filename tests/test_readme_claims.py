"""The README's and configs/example.yaml's checkable claims, each read against the code.

Each test reads the claim from the document and the fact from the code, so that a change of
either side alone fails here: the reject rules, the options of the example config, the
commands and flags, the exit codes, the config keys and files the README names, the defaults it
states, and the files and columns a run publishes.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import re
import types
import typing
from pathlib import Path

import pydantic
import pytest
import yaml
from conftest import small_config

import pipeline
from pipeline import cli
from pipeline.config import Config
from pipeline.ingest import CONTEXT_RULES, SEIZURE_RULES, TRACK_RULES
from pipeline.runner.publish import OUTPUT_NAMES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "configs" / "example.yaml"


def _section(title: str, text: str = README) -> str:
    """Return the text of the README section whose heading is ``title``."""
    m = re.search(rf"^##+ {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m, f"README has no section {title!r}"
    return m.group(1)


def _paragraph(start: str, text: str = README) -> str:
    """Return the README text from ``start`` to the next blank line that ends a list."""
    i = text.index(start)
    m = re.compile(r"\n\n(?![-\s])").search(text, i)
    return text[i : m.start() if m else len(text)]


def _bullet(start: str, text: str = README) -> str:
    """Return the README list item that begins with ``start``."""
    i = text.index(start)
    m = re.compile(r"\n(?=- |\n)").search(text, i + 1)
    return text[i : m.start() if m else len(text)]


def _ticked(text: str) -> list[str]:
    """Return the inline code spans of ``text`` (fenced blocks left out)."""
    return re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))


# --- reject rules -------------------------------------------------------------------------


def _rules_in_code() -> set[str]:
    """Every rule id ingest can write: its rule tuples and the rule literals of its rejects."""
    found = set(SEIZURE_RULES) | set(TRACK_RULES) | set(CONTEXT_RULES)
    for path in [*(ROOT / "pipeline" / "ingest").rglob("*.py"), ROOT / "pipeline" / "area.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values: list[ast.AST] = []
            if isinstance(node, ast.Call):
                fn = node.func
                name = getattr(fn, "id", None) or getattr(fn, "attr", None)
                if name == "Rule" and node.args:
                    values.append(node.args[0])
                if name == "append" and node.args and isinstance(node.args[0], ast.Tuple):
                    if getattr(fn.value, "id", None) == "bad" and len(node.args[0].elts) == 4:
                        values.append(node.args[0].elts[2])  # (line, text, rule, message)
                values += [kw.value for kw in node.keywords if kw.arg == "rule"]
            elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
                # a mask's rule at once: rule[bad] = "nmea_checksum"
                if getattr(node.targets[0].value, "id", None) == "rule":
                    values.append(node.value)
            elif isinstance(node, ast.Dict):
                values += [
                    v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value == "rule"
                ]
            for v in values:  # a literal, or the literals of np.where(mask, "a", "b")
                for c in [v, *v.args] if isinstance(v, ast.Call) else [v]:
                    if isinstance(c, ast.Constant) and isinstance(c.value, str):
                        found.add(c.value)
    return found


def _rules_in_readme() -> set[str]:
    text = _paragraph("Reject rules (")
    text = re.sub(r"\([^()]*\)", "", text)  # the explanations, and the heading's own names
    return set(_ticked(text))


def test_readme_reject_rules_are_the_codes():
    readme, code = _rules_in_readme(), _rules_in_code()
    assert {"duplicate_across_files", "outside_aoi", "malformed_json"} <= code  # the scan works
    assert readme - code == set(), "README names rules the code never writes"
    assert code - readme == set(), "rules the code writes that the README does not list"


# --- configs/example.yaml -----------------------------------------------------------------


def _models(annotation) -> list[tuple[type[pydantic.BaseModel], str]]:
    """Pydantic models inside ``annotation``, each with its path step ('' or '*' for a dict)."""
    out: list[tuple[type[pydantic.BaseModel], str]] = []
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return [(annotation, "")]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is dict and len(args) == 2:
        return [(m, "*") for m, _ in _models(args[1])]
    if origin in (list, tuple, typing.Union, types.UnionType):
        for a in args:
            out += _models(a)
    return out


def _schema_fields(model: type[pydantic.BaseModel], prefix: str = ""):
    """(dotted path, field) of every option, nested models included; dict keys are '*'."""
    for name, f in model.model_fields.items():
        if model is Config and name == "source":
            continue  # set by load_config, not an option
        path = prefix + (f.alias or name)
        yield path, f
        for sub, step in _models(f.annotation):
            yield from _schema_fields(sub, f"{path}.{step}." if step else f"{path}.")


def _yaml_paths(node, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    if isinstance(node, dict):
        for k, v in node.items():
            out[prefix + str(k)] = v
            out.update(_yaml_paths(v, f"{prefix}{k}."))
    elif isinstance(node, list):
        for v in node:
            out.update(_yaml_paths(v, prefix))
    return out


def _top_sections(text: str) -> dict[str, str]:
    """Each top-level key's lines in the example, comments included."""
    parts = re.split(r"^(?=[a-z_]+:)", text, flags=re.M)
    return {p.split(":", 1)[0]: p for p in parts if re.match(r"[a-z_]+:", p)}


def test_example_yaml_names_every_option():
    text = EXAMPLE.read_text(encoding="utf-8")
    keys = _yaml_paths(yaml.safe_load(text))
    sections = _top_sections(text)
    missing = []
    for path, _ in _schema_fields(Config):
        if any(fnmatch.fnmatchcase(k, path) for k in keys):
            continue
        # an alternative shown in a comment (polygon: beside bbox:, a mask's min:)
        leaf = path.rsplit(".", 1)[-1]
        comments = "\n".join(
            line.split("#", 1)[1]
            for line in sections.get(path.split(".")[0], "").splitlines()
            if "#" in line
        )
        if not re.search(rf"(?<![a-z_]){leaf}:", comments):
            missing.append(path)
    assert missing == [], f"configs/example.yaml does not document {missing}"


def test_example_yaml_lists_every_column_key():
    """Each ``columns: {}`` line's "keys:" list names every key the mapping takes."""
    from pipeline.ingest.options import (
        CONTEXT_COLUMN_KEYS,
        SEIZURE_COLUMN_KEYS,
        TRACK_COLUMN_KEYS,
    )

    sections = _top_sections(EXAMPLE.read_text(encoding="utf-8"))
    inputs = sections["inputs"]
    parts = {
        "seizures": inputs.split("\n  tracks:")[0],
        "tracks": inputs.split("\n  tracks:")[1].split("\n  rasters:")[0],
        "context": inputs.split("\n  context:")[1],
    }
    wanted = {
        "seizures": SEIZURE_COLUMN_KEYS,
        "tracks": TRACK_COLUMN_KEYS,
        "context": CONTEXT_COLUMN_KEYS,
    }
    for name, text in parts.items():
        after = text.split("columns:", 1)[1]
        listed = " ".join(line.split("#", 1)[1] for line in after.splitlines()[:4] if "#" in line)
        named = set(re.findall(r"[a-z_]+", listed.split("keys:", 1)[1]))
        assert set(wanted[name]) <= named, (name, set(wanted[name]) - named)


def _default(f) -> object:
    value = f.get_default(call_default_factory=True)
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    return value


def _same(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b or str(a) == str(b)


#: What the example sets for its own theatre, not as the default.
_EXAMPLE_VALUES = ("run.name", "run.as_of", "run.out_dir", "area.bbox", "inputs*", "score.factors*")


def test_example_yaml_values_are_the_defaults():
    """The example's header says: every option, with its default."""
    keys = _yaml_paths(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    fields = dict(_schema_fields(Config))
    wrong = {}
    for path, value in keys.items():
        if any(fnmatch.fnmatchcase(path, p) for p in _EXAMPLE_VALUES) or path not in fields:
            continue
        if isinstance(value, dict) and value:
            continue  # a section: its keys are compared one by one
        default = _default(fields[path])
        if isinstance(default, dict) and default and value == {}:
            continue
        if not _same(value, default):
            wrong[path] = (value, default)
    assert wrong == {}, "example value != schema default: " + repr(wrong)


def _choices(annotation) -> list[str]:
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    return [c for a in typing.get_args(annotation) for c in _choices(a)]


def _example_keys(lines: list[str]):
    """(line index, dotted path, value text, comment) of each key line of the example."""
    stack: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*(?:- )?)([a-z_]+):([^#]*)(?:#(.*))?$", line)
        if not m:
            continue
        indent = len(m.group(1))
        stack = [(n, k) for n, k in stack if n < indent]
        stack.append((indent, m.group(2)))
        yield i, ".".join(k for _, k in stack), m.group(3).strip(), m.group(4) or "", indent


def test_example_yaml_lists_every_choice():
    """A key whose comment lists its choices (a|b|c) lists all of them."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    fields = dict(_schema_fields(Config))
    incomplete = {}
    checked = 0
    for i, path, value, comment, indent in _example_keys(lines):
        field = next((f for p, f in fields.items() if fnmatch.fnmatchcase(path, p)), None)
        choices = _choices(field.annotation) if field is not None else []
        if not choices or "|" not in comment:
            continue
        for nxt in lines[i + 1 :]:  # the comment's continuation lines
            if not re.match(rf"^\s{{{indent + 2},}}#", nxt):
                break
            comment += " " + nxt.split("#", 1)[1]
        words = set(re.split(r"[\s|:(),]+", comment))
        absent = [c for c in choices if c != value and c not in words and c not in comment]
        checked += 1
        if absent:
            incomplete[path] = absent
    assert checked >= 10
    assert incomplete == {}, "choices missing from the example's comment: " + repr(incomplete)


# --- commands, flags, exit codes ----------------------------------------------------------


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_use_block_commands_and_flags_exist():
    block = re.search(r"```bash\n(.*?)```", _section("Use"), re.S)
    assert block
    subs = _subparsers()
    named = set()
    for line in block.group(1).splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "route-risk":
            continue
        cmd = words[1]
        named.add(cmd)
        assert cmd in subs, f"README shows 'route-risk {cmd}', not a command"
        options = set(subs[cmd]._option_string_actions)
        for flag in re.findall(r"--[a-z][a-z-]*", line.split("#", 1)[0]):
            assert flag in options, f"README shows 'route-risk {cmd} {flag}', not an option"
        kinds = re.search(r"\{([a-z|]+)\}", line)
        if kinds:
            positional = next(a for a in subs[cmd]._actions if a.dest == "kind")
            assert set(kinds.group(1).split("|")) == set(positional.choices)
    assert named == set(subs), "the Use block lists every command, and only those"


def test_readme_exit_codes_are_the_clis():
    text = _paragraph("Exit codes:")
    text = text[: text.index("Logs:")]
    readme = {int(t) for t in _ticked(text) if t.isdigit()}
    code = {v for k, v in vars(cli).items() if k.startswith("EXIT_") and isinstance(v, int)}
    assert readme == code


# --- config keys, files and defaults the README names --------------------------------------


def test_config_keys_named_in_readme_exist():
    fields = dict(_schema_fields(Config))
    sections = set(Config.model_fields)
    named = [
        t
        for t in _ticked(README)
        if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+(: .+)?", t)
        and t.split(".")[0] in sections
        and t.split(":")[0].rsplit(".", 1)[-1] not in ("py", "parquet", "json")  # file names
    ]
    assert len(named) > 10
    unknown = [t for t in named if t.split(":")[0] not in fields]
    assert unknown == [], f"README names config keys the schema lacks: {unknown}"
    for t in named:  # `run.freshness: warn`: the value is one the option takes
        if ": " not in t:
            continue
        key, value = t.split(": ", 1)
        if re.fullmatch(r"[A-Za-z0-9_.+-]+", value) and value != "HOST":
            choices = _choices(fields[key].annotation)
            assert not choices or value in choices or re.fullmatch(r"[\d.]+", value), t


def test_repository_paths_named_in_readme_exist():
    named = {
        t
        for t in _ticked(README)
        if re.fullmatch(r"(bench|tests|tools|deploy|notebooks|pipeline|configs)/[\w./<>-]+", t)
        and not t.startswith("bench/results/")  # written by the benchmarks, not kept in git
    }
    named |= {f"bench/{b}" for b in re.findall(r"`(bench_\w+\.py)", README)}
    layout = set(re.findall(r"`(\w+(?:\.py|/))`", _section("Layout")))
    assert len(named) > 15 and len(layout) > 15
    missing = sorted(p for p in named if not (ROOT / p).exists())
    missing += sorted(
        p for p in layout if not (ROOT / "pipeline" / p).exists() and not (ROOT / p).exists()
    )
    assert missing == []


def test_dask_snippet_validates():
    block = re.search(r"```yaml\n(.*?)```", _section("Scale out on Dask"), re.S)
    assert block
    raw = yaml.safe_load(block.group(1))
    cfg = Config.model_validate(
        {**raw, "inputs": {"seizures": [{"path": "s.csv"}]}, "area": {"bbox": [0, 0, 1, 1]}}
    )
    assert cfg.run.engine == "dask"
    assert set(raw["dask"]) == set(type(cfg.dask).model_fields)


def test_defaults_stated_in_readme():
    fields = dict(_schema_fields(Config))

    def said(pattern: str) -> str:
        m = re.search(pattern, README, re.S)
        assert m, pattern
        return m.group(1)

    assert float(said(r"`transit\.coverage_km` \(default (\d+) km\)")) == _default(
        fields["transit.coverage_km"]
    )
    assert int(said(r"the last run\.keep_runs runs \(default (\d+)\)")) == _default(
        fields["run.keep_runs"]
    )
    assert int(said(r"`n_resamples` (\d+)")) == _default(fields["hotspots.uncertainty.n_resamples"])
    interval = said(r"`interval` \[([\d., ]+)\]")
    assert [float(x) for x in interval.split(",")] == list(
        _default(fields["hotspots.uncertainty.interval"])
    )
    assert said(r"`run\.freshness: (\w+)` \(default\)") == _default(fields["run.freshness"])
    assert said(r"`hotspots\.p_value: (\w+)`, the default") == _default(fields["hotspots.p_value"])
    assert said(r"`timeline\.scale`: by default the (map)'s class") == _default(
        fields["timeline.scale"]
    )
    assert said(r"(quantile)s of the run by default, `render\.classes`") == _default(
        fields["render.classes"]
    )
    origins, years, months = re.search(
        r"`evaluate`: (\d+) origins, (\d+)-year training, (\d+)-month horizon by default", README
    ).groups()
    assert int(origins) == _default(fields["evaluate.origins"])
    assert int(years) * 365 == _default(fields["evaluate.train_days"])
    assert abs(int(months) * 30.4 - _default(fields["evaluate.horizon_days"])) < 1


# --- what a run publishes -----------------------------------------------------------------


@pytest.fixture(scope="module")
def published(small_demo, tmp_path_factory):
    """A small run publishing every output the README lists (fitted model, back-test)."""
    cfg = small_config(
        small_demo,
        tmp_path_factory.mktemp("readme"),
        score={"model": "fitted"},
        render={"geojson": True, "preview_png": True},
        timeline={"months": 2},
        evaluate={"origins": 2},
        hotspots={"uncertainty": {"n_resamples": 10}},
    )
    pipeline.run_pipeline(cfg)
    return Path(cfg.run.out_dir)


def _table_rows() -> dict[str, str]:
    """The README's output table: each row's first cell's file names -> the row's text."""
    rows = {}
    for line in _section("What a run publishes (in `run.out_dir`)").splitlines():
        cells = line.split(" | ")
        if not line.startswith("| `") or len(cells) < 2:
            continue
        for name in (n for n in _ticked(cells[0]) if re.fullmatch(r"[\w<> /-]+\.\w+", n)):
            rows[name.split("/", 1)[0] if name.startswith("rejects/") else name] = cells[1]
    return rows


def test_readme_output_table_is_what_a_run_publishes(published):
    listed = set(_table_rows())
    top = {p.name for p in published.iterdir() if not p.name.startswith(".")} - {"current", "runs"}
    assert listed == top
    assert listed == set(OUTPUT_NAMES) | {"manifest.json", "rejects"}
    kinds = {p.name.split("-", 1)[0] for p in (published / "rejects").iterdir()}
    assert {"seizures", "tracks"} <= kinds  # rejects/<kind>-<file stem>.csv


def test_readme_columns_are_published(published):
    import pandas as pd
    import pyarrow.parquet as pq

    rows = _table_rows()
    scores = set(pq.read_schema(published / "scores.parquet").names)
    csv = set(pd.read_csv(published / "scores.csv", nrows=1).columns)
    timeline = set(pq.read_schema(published / "timeline.parquet").names)

    def columns(text: str) -> set[str]:
        return {t for t in _ticked(text) if re.fullmatch(r"[a-z][a-z_]*", t)}

    in_row = columns(rows["scores.parquet"]) - {"hotspots", "evaluate"}
    assert in_row - (scores | csv) == set()
    assert {"lat", "lon"} <= csv - scores  # "the CSV also the cell centre's lat/lon"
    assert columns(rows["timeline.parquet"]) - timeline == set()
    fitted = columns(_bullet("- `score.model: fitted` publishes"))
    hot = columns(_bullet("- `hotspots` (on by default)"))
    assert {"expected_events", "gi_z", "trend"} <= fitted | hot
    assert (fitted | hot) - scores - {"hotspots", "counts", "exact", "normal", "fitted"} == set()
    for name in ("features.parquet", "events.parquet", "seizures.parquet"):
        assert {"cell", "hex_id"} <= set(pq.read_schema(published / name).names), name


def test_make_targets_named_in_readme_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", makefile, re.M))
    named = set(re.findall(r"`make ([\w-]+)`", README)) | set(
        re.findall(r"^make ([\w-]+)", README, re.M)
    )
    assert {"demo", "test", "test-fast", "fuzz", "bench", "lint"} <= named
    assert named - targets == set()


def test_nightly_schedule_shown_is_the_deployed_one():
    block = re.search(r"```bash\n(.*?)```", _section("Nightly runs"), re.S)
    assert block
    cron = [line for line in block.group(1).splitlines() if re.match(r"[\d*]+ [\d*]+ ", line)]
    deployed = (ROOT / "deploy" / "crontab").read_text(encoding="utf-8").splitlines()
    assert cron and set(cron) <= set(deployed)
    # "exit 75 from an overlapping manual run counted as success"
    assert re.search(r"exit (\d+) from an overlapping", README).group(1) == str(cli.EXIT_TEMPFAIL)
    service = (ROOT / "deploy" / "route-risk.service").read_text(encoding="utf-8")
    assert re.search(r"^SuccessExitStatus=.*\b(\d+)\b", service, re.M).group(1) == str(
        cli.EXIT_TEMPFAIL
    )
