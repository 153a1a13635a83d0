"""The embedded world as a plugin: ``type: perfect`` config entries build outside the CLI, and
``--world digits`` scenes come from the ``digits`` world, labelled with perfect perception."""

from __future__ import annotations

from pathlib import Path

import pytest

from fmpc.frontend import compile_source
from fmpc.runtime.backends import CallableBackend, load_backends
from fmpc.runtime.config import ConfigError
from fmpc.runtime.inputs import world_inputs
from fmpc.semantics import Interpreter
from fmpc.worlds import SceneGenerator, perfect_backends
from fmpc.worlds.plugin import PERFECT, perfect_table

CONFIG = """\
functions:
  exists:
    - {name: world, type: perfect}
  verify_property:
    - {name: priced, type: perfect, cost: 3}
"""

HAS_SEVEN = "def execute_command(image):\n    return bool_to_yesno(ImagePatch(image).exists('7'))\n"


def test_load_backends_builds_perfect_entries_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "backends.yaml"
    path.write_text(CONFIG)
    table = load_backends(path)
    (world,), (priced,) = table["exists"], table["verify_property"]
    assert isinstance(world, CallableBackend) and isinstance(priced, CallableBackend)
    assert (world.name, world.cost(()), priced.cost(())) == ("world", 0.0, 3.0)
    images = [SceneGenerator(seed=3).image(i) for i in range(6)]
    args = [(image, "7") for image in images]
    expected = [perfect_backends()["exists"](*a) for a in args]
    assert [r.output for r in world(args)] == expected and any(expected)


def test_perfect_entries_take_no_options(tmp_path: Path) -> None:
    path = tmp_path / "backends.yaml"
    path.write_text("functions:\n  exists:\n    - {name: w, type: perfect, options: {x: 1}}\n")
    with pytest.raises(ConfigError, match=r"functions.exists\[0\]: .*take no options, got x"):
        load_backends(path)


def test_perfect_table_serves_every_function_at_its_cost() -> None:
    table = perfect_table(cost=2.0)
    assert set(table) == set(perfect_backends())
    assert all([b.name for b in group] == [PERFECT] for group in table.values())


def test_world_inputs_are_digits_scenes_labelled_by_perfect_perception() -> None:
    module = compile_source(HAS_SEVEN)
    items = list(world_inputs(module, 5, world="digits", seed=4))
    labeller = Interpreter(module, perfect_backends())
    generator = SceneGenerator(seed=4, name="digits")
    assert [item.input_id for item in items] == [generator.image(i).id for i in range(5)]
    assert all(item.labelled for item in items)
    assert [item.label for item in items] == [labeller.run(item.image) for item in items]
