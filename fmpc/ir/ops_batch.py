"""``fmpc.call.batch``: one routable call over whole lists, made by the ``batch`` pass.

::

    %answers = fmpc.call.batch(%patches, %q) {fn = "simple_query", site = 2, batched = [0]}
        : (List[Patch], Str) -> List[Str]

**Semantics.** The operands at the positions listed in ``batched`` are lists of one common length
``n``; the other operands are the same for every item. The result is the list of ``n`` outputs
``fn(args_0), ..., fn(args_{n-1})``, where ``args_i`` takes item ``i`` of each batched list and the
other operands as they are. The call site executes ``n`` times (once per item; ``n = 0`` means no
backend call at all), in one request: a backend sees one batch instead of ``n`` calls. Lists of
different lengths are a run-time error. Every other attribute of ``fmpc.call`` (``backends``,
``cascade``, ``thresholds``) means the same here, applied per item.

It is a ``CallOp`` (so it is routable, carries ``fn`` and a unique ``site``), but it needs its
own interpreter rule: running it as a plain ``fmpc.call`` would pass the lists to the backend.
"""

from __future__ import annotations

from fmpc.ir.ops import CallOp
from fmpc.ir.types import ListType


class BatchCallOp(CallOp):
    """A routable call applied item by item over the operands named in ``batched``."""

    name = "fmpc.call.batch"
    attribute_types = {"fn": str, "site": int, "batched": tuple}

    @property
    def batched(self) -> tuple[int, ...]:
        """Positions of the operands that are lists iterated in lockstep."""
        return tuple(int(i) for i in self.attributes["batched"])  # type: ignore[union-attr]

    def verify_(self) -> None:
        super().verify_()
        positions = self.attributes["batched"]
        assert isinstance(positions, tuple)
        if not positions or len(set(positions)) != len(positions):
            raise self.error("batched must list distinct operand positions")
        for i in positions:
            if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < len(self.operands):
                raise self.error(f"batched position {i!r} is not an operand position")
            if not isinstance(self.operands[i].type, ListType):
                raise self.error(
                    f"batched operand {i} has type {self.operands[i].type}, not a List"
                )
        if not isinstance(self.result.type, ListType):
            raise self.error(f"result has type {self.result.type}, expected a List")
