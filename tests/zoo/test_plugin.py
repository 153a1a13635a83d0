"""The zoo as a plugin: ``type: zoo`` config entries build through the library loader (no CLI),
name a zoo backend by ``options.model`` and carry the manifest's FLOPs as their nominal cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from fmpc.runtime.backends import load_backends
from fmpc.runtime.config import ConfigError
from fmpc.runtime.executor import nominal_cost
from fmpc.worlds import SceneGenerator
from fmpc.zoo.backends import LazyBackend
from fmpc.zoo.store import read_manifest

CONFIG = """\
functions:
  exists:
    - name: small
      type: zoo
      options: {model: det-s}
    - name: det-l
      type: zoo
"""


def _flops(function: str, name: str) -> float:
    rows = read_manifest()["backends"]
    return next(float(r["flops"]) for r in rows if (r["function"], r["name"]) == (function, name))


def test_load_backends_builds_zoo_entries_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "backends.yaml"
    path.write_text(CONFIG)
    small, large = load_backends(path)["exists"]
    assert isinstance(small, LazyBackend) and isinstance(large, LazyBackend)
    assert (small.name, small.function, large.name) == ("small", "exists", "det-l")
    assert nominal_cost(small) == _flops("exists", "det-s")
    assert nominal_cost(large) == _flops("exists", "det-l")
    image = SceneGenerator(seed=0).image(0)
    (result,) = small([(image, "7")])
    assert result.error is None and isinstance(result.output, bool)
    assert result.cost == pytest.approx(_flops("exists", "det-s"))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{name: small, type: zoo, options: {model: det-x}}",
            "backends.yaml: functions.exists[0].options.model: the zoo has no exists backend "
            "'det-x' (its exists backends: det-s, det-m, det-l)",
        ),
        (
            "{name: cls-s, type: zoo}",
            "backends.yaml: functions.exists[0].name: the zoo has no exists backend 'cls-s' "
            "(its exists backends: det-s, det-m, det-l)",
        ),
        (
            "{name: small, type: zoo, options: {size: small}}",
            "backends.yaml:3:42: functions.exists[0].options.size: unknown key "
            "(zoo options are: model)",
        ),
        (
            "{name: small, type: zoo, cost: 3}",
            "backends.yaml:3:32: functions.exists[0].cost: unknown key "
            "(a zoo backend's cost is measured by XLA, never declared)",
        ),
    ],
)
def test_bad_zoo_entries_say_where_and_why(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "backends.yaml"
    path.write_text(f"functions:\n  exists:\n    - {entry}\n")
    with pytest.raises(ConfigError) as info:
        load_backends(path)
    assert str(info.value).replace(str(tmp_path) + "/", "") == message
