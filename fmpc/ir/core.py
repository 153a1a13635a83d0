"""Core IR data structures: values, regions, ops, modules and source locations.

The IR is SSA with structured control flow: an op may own regions; a region is a single block
with arguments and a list of ops that ends in a terminator. Names of values belong to the
printer; a value only carries its type (and an optional name hint for readable output).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from fmpc.ir.types import Type

# Attribute values an op may carry: plain, immutable data.
Attr = int | float | str | bool | None | Type | tuple[Any, ...]


class Trait(enum.Enum):
    """Properties of an op that passes ask about instead of op names."""

    PURE = "pure"  # no effect besides computing its results (given pure regions)
    ROUTABLE = "routable"  # a generic-function call served by a choosable backend
    TERMINATOR = "terminator"  # ends a region
    CONSTANT = "constant"  # result known at compile time from attributes
    LOOP = "loop"  # its region is a loop body (break/continue target)
    LAZY = "lazy"  # its regions run conditionally (short-circuit / branches)
    ISOLATED = "isolated"  # its regions cannot see values defined outside


@dataclass(frozen=True)
class Location:
    """Where an op came from: file, 1-based line and column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class Value:
    """An SSA value: the result of an op or an argument of a region."""

    __slots__ = ("type", "owner", "index", "name_hint")

    def __init__(
        self,
        type: Type,
        owner: Op | Region | None = None,
        index: int = 0,
        name_hint: str | None = None,
    ) -> None:
        self.type = type
        self.owner = owner
        self.index = index
        self.name_hint = name_hint

    def __repr__(self) -> str:
        return f"<Value {self.name_hint or '?'}: {self.type}>"


class Region:
    """A single block: typed arguments and a list of ops ending in a terminator."""

    def __init__(
        self,
        arg_types: Sequence[Type] = (),
        ops: Sequence[Op] = (),
        arg_names: Sequence[str | None] | None = None,
    ) -> None:
        names = list(arg_names) if arg_names is not None else [None] * len(arg_types)
        self.args = [
            Value(t, self, i, n) for i, (t, n) in enumerate(zip(arg_types, names, strict=True))
        ]
        self.ops: list[Op] = []
        self.parent: Op | None = None
        for op in ops:
            self.append(op)

    def append(self, op: Op) -> Op:
        """Append ``op`` to this region and return it."""
        op.parent = self
        self.ops.append(op)
        return op

    def insert(self, index: int, op: Op) -> Op:
        """Insert ``op`` at position ``index``."""
        op.parent = self
        self.ops.insert(index, op)
        return op

    def remove(self, op: Op) -> None:
        """Detach ``op`` from this region."""
        self.ops.remove(op)
        op.parent = None

    @property
    def terminator(self) -> Op | None:
        """The last op if it is a terminator, else ``None``."""
        if self.ops and Trait.TERMINATOR in self.ops[-1].traits:
            return self.ops[-1]
        return None

    def walk(self) -> Iterator[Op]:
        """All ops in this region and nested regions, in pre-order."""
        for op in self.ops:
            yield from op.walk()


class Op:
    """Base class of all ops. Subclasses declare ``name``, ``traits`` and a ``verify_`` hook.

    Arity declarations (``None`` means variadic) are checked by the generic verifier before the
    op's own ``verify_`` runs.
    """

    name: ClassVar[str] = "fmpc.op"
    traits: ClassVar[frozenset[Trait]] = frozenset()
    num_operands: ClassVar[int | None] = None
    num_results: ClassVar[int | None] = 1
    num_regions: ClassVar[int | tuple[int, ...] | None] = 0
    attribute_types: ClassVar[dict[str, type | tuple[type, ...]]] = {}

    def __init__(
        self,
        operands: Sequence[Value] = (),
        result_types: Sequence[Type] = (),
        attributes: dict[str, Attr] | None = None,
        regions: Sequence[Region] = (),
        loc: Location | None = None,
    ) -> None:
        self.operands: list[Value] = list(operands)
        self.results: list[Value] = [Value(t, self, i) for i, t in enumerate(result_types)]
        self.attributes: dict[str, Attr] = dict(attributes or {})
        self.regions: list[Region] = []
        self.parent: Region | None = None
        self.loc = loc
        for region in regions:
            self.add_region(region)

    def add_region(self, region: Region) -> Region:
        """Attach ``region`` as the next region of this op."""
        region.parent = self
        self.regions.append(region)
        return region

    @property
    def result(self) -> Value:
        """The single result of a one-result op."""
        if len(self.results) != 1:
            raise ValueError(f"{self.name} has {len(self.results)} results, not one")
        return self.results[0]

    def has_trait(self, trait: Trait) -> bool:
        """Whether this op declares ``trait``."""
        return trait in self.traits

    def walk(self) -> Iterator[Op]:
        """This op and all ops nested in its regions, in pre-order."""
        yield self
        for region in self.regions:
            yield from region.walk()

    def parent_op(self) -> Op | None:
        """The op owning the region this op sits in."""
        return self.parent.parent if self.parent is not None else None

    def verify_(self) -> None:
        """Op-specific checks; raise ``VerifyError`` (via ``self.error``) on failure."""

    def error(self, message: str) -> VerifyError:
        """Build a verification error located at this op."""
        return VerifyError(message, self)

    def __repr__(self) -> str:
        return f"<{self.name} at {self.loc}>"


class VerifyError(Exception):
    """An IR invariant does not hold. Carries the offending op and its location."""

    def __init__(self, message: str, op: Op | None = None) -> None:
        self.message = message
        self.op = op
        where = f"{op.loc}: " if op is not None and op.loc is not None else ""
        what = f"'{op.name}' " if op is not None else ""
        super().__init__(f"{where}{what}{message}")


class Module:
    """A compilation unit: a list of ``fmpc.func`` ops; the entry function is ``execute_command``.

    ``attributes`` holds module-level facts (e.g. which backends each site may use); ``source``
    optionally keeps the program text so diagnostics can quote it.
    """

    ENTRY = "execute_command"

    def __init__(
        self,
        funcs: Sequence[Op] = (),
        attributes: dict[str, Attr] | None = None,
        source: str | None = None,
    ) -> None:
        self.body = Region()
        for f in funcs:
            self.body.append(f)
        self.attributes: dict[str, Attr] = dict(attributes or {})
        self.source = source

    @property
    def funcs(self) -> list[Op]:
        """The functions of this module."""
        return list(self.body.ops)

    def func(self, name: str) -> Op:
        """The function called ``name``; ``KeyError`` when absent."""
        for f in self.body.ops:
            if f.attributes.get("sym_name") == name:
                return f
        raise KeyError(name)

    @property
    def entry(self) -> Op:
        """The entry function ``execute_command``."""
        return self.func(self.ENTRY)

    def walk(self) -> Iterator[Op]:
        """Every op of the module in pre-order."""
        return self.body.walk()

    def routable_calls(self) -> list[Op]:
        """All routable call ops, in program order."""
        return [op for op in self.walk() if Trait.ROUTABLE in op.traits]

    def clone(self) -> Module:
        """A deep copy with fresh values; the original is untouched."""
        from fmpc.ir.clone import clone_module

        return clone_module(self)

    def __str__(self) -> str:
        from fmpc.ir.printer import print_module

        return print_module(self)
