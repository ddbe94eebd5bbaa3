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
        ("inputs: {}\n", "inputs.seizures needs at least one file"),
        (MINIMAL + "bogus: 1\n", "unknown key 'bogus'"),
        ("- a\n- b\n", "must be a mapping"),
        ("a: [\n", "not valid YAML"),
        (MINIMAL + "run:\n  as_of: yesterday\n", "run.as_of"),
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
