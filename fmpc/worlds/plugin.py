"""How the runtime finds the embedded world: the ``perfect`` backend type and the ``digits``
world, registered as entry points in fmpc's ``pyproject.toml``::

    [project.entry-points."fmpc.backend_types"]
    perfect = "fmpc.worlds.plugin:PERFECT_BACKEND_TYPE"

    [project.entry-points."fmpc.input_sources"]
    digits = "fmpc.worlds.plugin:digits_inputs"

A ``type: perfect`` config entry is a ``CallableBackend`` answering from the scene graph
(``fmpc.worlds.perfect_backends``) at its declared cost (default 0): a ceiling and a test
oracle, never a reported method. ``--world digits`` streams ``SceneGenerator`` scenes labelled
by running the program with perfect perception, and compiling for it (``fmpc compile --world
digits``) checks literals against its vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field

from fmpc.ir.core import Module
from fmpc.runtime.backends.callable import CallableBackend
from fmpc.runtime.backends.table import BackendTable
from fmpc.runtime.config import BackendType, Cost, Spec
from fmpc.runtime.inputs import InputItem, InputSource

PERFECT = "perfect"
"""The name of the perfect-perception backend type (and of ``perfect_table``'s backends)."""


class PerfectSpec(Spec):
    """A perfect-perception backend of the embedded world; its cost is declared (default 0)."""

    type: Literal["perfect"]
    cost: Cost = 0.0
    options: dict[str, Any] = Field(default_factory=dict)


def perfect_factory(function: str, spec: PerfectSpec) -> CallableBackend:
    """The backend of a ``type: perfect`` entry serving ``function``."""
    from fmpc.worlds.perception import perfect_backends

    functions = perfect_backends()
    if function not in functions:
        raise ValueError(f"perfect perception does not serve {function!r}")
    if spec.options:
        raise ValueError(f"perfect backends take no options, got {', '.join(spec.options)}")
    return CallableBackend(spec.name, function, functions[function], spec.cost)


PERFECT_BACKEND_TYPE = BackendType(PERFECT, PerfectSpec, perfect_factory)
"""``type: perfect`` in backend configs."""


def perfect_table(cost: float = 0.0) -> BackendTable:
    """One perfect-perception backend, ``perfect``, per generic function of the embedded world."""
    from fmpc.worlds.perception import perfect_backends

    return BackendTable.of(
        CallableBackend(PERFECT, fn, f, cost) for fn, f in perfect_backends().items()
    )


class DigitsWorld:
    """The embedded world as a world source (``--world digits``): calling it gives scenes, and
    ``check_literal`` is its vocabulary (digits, shapes, colours, sizes and their questions)."""

    def __call__(self, module: Module | None, n: int, *, seed: int) -> InputSource:
        """``n`` scenes of the embedded world (``SceneGenerator(seed)``, images ``0 .. n-1``).

        With ``module``, each input's label is the program's answer under perfect perception
        (``perfect_backends()`` through the reference interpreter, on the same scene); an input
        whose perfect run fails is unlabelled.
        """

        def items() -> Iterator[InputItem]:
            from fmpc.semantics.errors import ProgramError
            from fmpc.semantics.interpreter import Interpreter
            from fmpc.worlds.generator import SceneGenerator
            from fmpc.worlds.perception import perfect_backends

            generator = SceneGenerator(seed=seed, name="digits")
            labeller = Interpreter(module, perfect_backends()) if module is not None else None
            for i in range(n):
                image = generator.image(i)
                if labeller is None:
                    yield InputItem(image.id, image)
                    continue
                try:
                    label = labeller.run(image)
                except ProgramError:
                    yield InputItem(image.id, image)
                    continue
                yield InputItem(image.id, image, label, labelled=True)

        return InputSource(f"world digits (seed {seed})", n, items)

    @staticmethod
    def check_literal(fn_name: str, arg_index: int, value: object) -> str | None:
        """``fmpc.worlds.perception.check_literal``: a warning for a literal outside the
        world's vocabulary (loaded when first asked, with the world's vocabulary tables)."""
        from fmpc.worlds.perception import check_literal

        return check_literal(fn_name, arg_index, value)


digits_inputs = DigitsWorld()
"""The ``digits`` world (entry point ``fmpc.worlds.plugin:digits_inputs``)."""
