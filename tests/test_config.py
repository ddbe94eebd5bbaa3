from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path, text):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    return p


MINIMAL = "inputs:\n  seizures:\n    - path: s.csv\n"


def test_minimal_config_resolves_paths_against_the_config(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL))
    assert cfg.inputs.seizures[0].path == tmp_path / "s.csv"
    assert cfg.density.kernel == "quartic"
    assert cfg.area.resolution == 5


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (MINIMAL + "density:\n  bandwith_km: 5\n", "unknown key 'density.bandwith_km'"),
        (MINIMAL + "density:\n  bandwith_km: 5\n", "bandwidth_km"),
        (MINIMAL + "density:\n  kernel: boxcar\n", "density.kernel"),
        (MINIMAL + "density:\n  bandwidth_km: -5\n", "bandwidth_km must be > 0"),
        (MINIMAL + "area:\n  resolution: 16\n", "area.resolution"),
        (MINIMAL + "area:\n  bbox: [0, 50, 10, 40]\n", "bbox latitudes"),
        (
            MINIMAL + "score:\n  class_breaks: [0, 50, 40, 100]\n  class_labels: [a, b, c]\n",
            "class_breaks must increase",
        ),
        (MINIMAL + "score:\n  factors: {seizure_density: {weight: 0}}\n", "weight > 0"),
        ("inputs: {}\n", "inputs needs at least one seizures or tracks file"),
        (MINIMAL + "bogus: 1\n", "unknown key 'bogus'"),
        ("- a\n- b\n", "must be a mapping"),
        ("a: [\n", "not valid YAML"),
        (MINIMAL + "run:\n  as_of: last week\n", "run.as_of"),
    ],
)
def test_bad_configs_fail_with_one_clear_message(tmp_path, text, needle):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    msg = str(info.value)
    assert needle in msg
    assert "\n" not in msg
    assert str(tmp_path / "c.yaml") in msg


def test_unknown_key_lists_valid_keys(tmp_path):
    with pytest.raises(ConfigError, match="valid keys here: .*half_life_days"):
        load_config(write(tmp_path, MINIMAL + "density:\n  halflife: 3\n"))


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_environment_variables_expand_in_paths(tmp_path, monkeypatch):
    text = "inputs:\n  seizures:\n    - path: ${RR_DATA:-fallback}/s.csv\n"
    assert load_config(write(tmp_path, text)).inputs.seizures[0].path == tmp_path / "fallback/s.csv"
    monkeypatch.setenv("RR_DATA", "/data/x")
    assert load_config(write(tmp_path, text)).inputs.seizures[0].path == Path("/data/x/s.csv")
    with pytest.raises(ConfigError, match="'RR_UNSET'"):
        load_config(write(tmp_path, "inputs:\n  seizures:\n    - path: ${RR_UNSET}/s.csv\n"))


def test_overrides(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL), overrides={"run.as_of": "2026-01-31"})
    assert str(cfg.run.as_of) == "2026-01-31"


@pytest.mark.parametrize("name", ["demo.yaml", "example.yaml"])
def test_shipped_configs_are_valid(name):
    cfg = load_config(REPO / "configs" / name)
    assert cfg.score.factors
    assert cfg.inputs.seizures


BASE = "inputs:\n  seizures: [{path: s.csv}]\n"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("a: &a [x, x, x]\nb: &b [*a, *a, *a]\n", "aliases"),
        ("area: {resolution: 4}\narea: {resolution: 5}\n" + BASE, "appears twice"),
        ("area: {resolution: true}\n" + BASE, "resolution must be a number, got True"),
        ("area: {margin_km: .inf}\n" + BASE, "finite"),
        ("score: {factors: {seizure_density: {weight: .inf}}}\n" + BASE, "finite"),
        ("density: {half_life_days: .nan}\n" + BASE, "finite"),
        ("timeline: {months: 100000}\n" + BASE, "timeline.months"),
        ("render: {tiles: 'https://t.example/{x}/{y}.png'}\n" + BASE, r"\{z\}"),
        (
            "render: {tiles: 'http://t.example/{z}/{x}/{y}.png', tiles_attribution: x}\n" + BASE,
            "https",
        ),
        ("render: {tiles: 'No Such Tiles'}\n" + BASE, "not a folium tiles name"),
    ],
)
def test_config_holes_are_closed_at_load(tmp_path, text, needle):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=needle) as info:
        load_config(path)
    assert "\n" not in str(info.value)


def test_alias_bomb_is_refused_fast(tmp_path):
    import time

    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match="aliases"):
        load_config(path)
    assert time.perf_counter() - t0 < 2  # refused at the first alias, not after expanding it


def test_custom_tiles_with_attribution_and_future_as_of(tmp_path):
    from pipeline.errors import FutureDateWarning

    path = tmp_path / "c.yaml"
    path.write_text(
        "render: {tiles: 'https://t.example/{z}/{x}/{y}.png', tiles_attribution: '(c) x'}\n" + BASE
    )
    assert load_config(path).render.tiles_attribution == "(c) x"
    path.write_text("run: {as_of: 2099-01-01}\n" + BASE)
    with pytest.warns(FutureDateWarning, match="in the future"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "env", "where"),
    [
        ("inputs:\n  seizures:\n    - path: ${RR_FILE}\n", "/data/seiz\udcff.csv", "path"),
        ('run:\n  name: "bad \\uD800"\n' + MINIMAL, None, "run.name"),
        ('run:\n  name: "nul \\0 inside"\n' + MINIMAL, None, "run.name"),
    ],
    ids=["file-name-not-utf8", "surrogate-escape", "nul"],
)
def test_text_that_is_not_text_is_refused_at_load(tmp_path, monkeypatch, text, env, where):
    # a file name in another encoding (Python keeps its byte as a lone surrogate) ended the
    # run in a UnicodeEncodeError traceback when the tables were written
    if env is not None:
        monkeypatch.setenv("RR_FILE", env)
    with pytest.raises(ConfigError, match=rf"{where}.*is not text"):
        load_config(write(tmp_path, text))


def test_an_output_folder_that_is_not_utf8_is_refused(tmp_path):
    import pipeline

    cfg = load_config(write(tmp_path, MINIMAL))
    with pytest.raises(ConfigError, match=r"output folder .* is not UTF-8 text"):
        pipeline.run_pipeline(cfg, out_dir=str(tmp_path / "o\udcff"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]
