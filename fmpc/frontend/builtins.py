"""Lowering of the built-in functions the subset supports: len, abs, round, int, float, str, bool,
min, max, sum, any, all, sorted (enumerate only as a loop's iterable)."""

from __future__ import annotations

import ast

from fmpc.frontend.calls import CallMixin
from fmpc.frontend.comprehensions import Target
from fmpc.frontend.typesys import describe
from fmpc.ir.core import Attr, Op, Region, Value
from fmpc.ir.ops import (
    AbsOp,
    AllOp,
    AnyOp,
    CastOp,
    LenOp,
    MaxOp,
    MinOp,
    RoundOp,
    SortOp,
    SumOp,
)
from fmpc.ir.types import (
    Bool,
    Float,
    Int,
    ListType,
    NoneT,
    Str,
    Type,
    is_numeric,
    unwrap_optional,
)

_CASTS: dict[str, Type] = {"int": Int, "float": Float, "str": Str, "bool": Bool}


def orderable(t: Type) -> bool:
    """Whether values of type ``t`` can be compared with ``<`` (numbers, strings)."""
    return is_numeric(t) or t == Str


class BuiltinMixin(CallMixin):
    """``len(xs)``, ``min(xs, key=...)``, ``any(... for ...)``, ..."""

    def call_builtin(self, name: str, node: ast.Call) -> Value:
        if name == "enumerate":
            self.lower_arguments(node)
            return self.error(
                node, "enumerate() is only supported as the iterable of a for loop or comprehension"
            )
        if name in _CASTS:
            return self.builtin_cast(name, node)
        handler = getattr(self, f"builtin_{name}")
        result: Value = handler(node)
        return result

    def arguments(
        self, node: ast.Call, name: str, counts: tuple[int, ...], keywords: tuple[str, ...] = ()
    ) -> bool:
        """Check the number of positional arguments and the keyword names of a built-in call."""
        ok = True
        for keyword in node.keywords:
            if keyword.arg not in keywords:
                allowed = f" (only {', '.join(k + '=' for k in keywords)})" if keywords else ""
                self.error(keyword, f"{name}() takes no keyword argument '{keyword.arg}'{allowed}")
                ok = False
        if len(node.args) not in counts:
            allowed = " or ".join(str(c) for c in counts)
            self.error(
                node, f"{name}() takes {allowed} positional argument(s), got {len(node.args)}"
            )
            ok = False
        if not ok:
            self.lower_arguments(node)
        return ok

    # ------------------------------------------------------------------ scalars

    def builtin_len(self, node: ast.Call) -> Value:
        if not self.arguments(node, "len", (1,)):
            return self.poison()
        value = self.expr(node.args[0])
        if self.quiet(value):
            return self.poison()
        if not (value.type == Str or isinstance(value.type, ListType)):
            return self.type_error(
                node, f"len() needs a list or a string, not {describe(value.type)}", value.type
            )
        return self.emit(LenOp, node, [value], [Int]).result

    def builtin_abs(self, node: ast.Call) -> Value:
        if not self.arguments(node, "abs", (1,)):
            return self.poison()
        value = self.numeric(node.args[0], "abs")
        if self.quiet(value):
            return value
        return self.emit(AbsOp, node, [value], [Float if value.type == Float else Int]).result

    def builtin_round(self, node: ast.Call) -> Value:
        if not self.arguments(node, "round", (1, 2)):
            return self.poison()
        value = self.numeric(node.args[0], "round")
        operands = [value]
        result: Type = Int
        if len(node.args) == 2:
            digits = self.expr(node.args[1])
            operands.append(self.coerce(digits, Int, node.args[1], "the ndigits of round()"))
            result = Float if value.type == Float else Int
        if self.quiet(*operands):
            return self.poison()
        return self.emit(RoundOp, node, operands, [result]).result

    def numeric(self, node: ast.expr, name: str) -> Value:
        """An argument that must be a number."""
        value = self.expr(node)
        if self.quiet(value) or is_numeric(value.type):
            return value
        return self.type_error(
            node, f"{name}() needs a number, not {describe(value.type)}", value.type
        )

    def builtin_cast(self, name: str, node: ast.Call) -> Value:
        """``int(x)``, ``float(x)``, ``str(x)``, ``bool(x)``."""
        if not self.arguments(node, name, (1,)):
            return self.poison()
        value = self.expr(node.args[0])
        target = _CASTS[name]
        if self.quiet(value) or value.type == target:
            return value
        if target == Bool:
            return self.truth(value, node)
        allowed = (Int, Float, Bool, Str, NoneT) if target == Str else (Int, Float, Bool, Str)
        source = unwrap_optional(value.type) if target == Str else value.type  # str(None) too
        if source not in allowed:
            return self.type_error(
                node, f"{name}() cannot convert a {describe(value.type)}", value.type
            )
        return self.emit(CastOp, node, [value], [target]).result

    # ------------------------------------------------------------------ reductions

    def sequence_argument(self, node: ast.expr) -> Value:
        """The list a reduction runs over: a list value, or a generator expression's items."""
        if isinstance(node, ast.GeneratorExp):
            return self.comprehension_list(node.elt, node.generators, node)
        value = self.expr(node)
        if self.quiet(value) or isinstance(value.type, ListType):
            return value
        return self.type_error(node, f"expected a list, not {describe(value.type)}", value.type)

    def builtin_sum(self, node: ast.Call) -> Value:
        if not self.arguments(node, "sum", (1,)):
            return self.poison()
        seq = self.sequence_argument(node.args[0])
        if self.quiet(seq):
            return self.poison()
        assert isinstance(seq.type, ListType)
        element = seq.type.element
        if not is_numeric(element):
            return self.type_error(
                node, f"sum() needs a list of numbers, not {describe(seq.type)}", seq.type
            )
        return self.emit(SumOp, node, [seq], [Float if element == Float else Int]).result

    def builtin_any(self, node: ast.Call) -> Value:
        return self.quantifier(node, AnyOp, "any")

    def builtin_all(self, node: ast.Call) -> Value:
        return self.quantifier(node, AllOp, "all")

    def quantifier(self, node: ast.Call, cls: type[Op], name: str) -> Value:
        """``any``/``all`` over a generator expression (lazy) or a list of values."""
        if not self.arguments(node, name, (1,)):
            return self.poison()
        arg = node.args[0]
        if isinstance(arg, ast.GeneratorExp):
            source = self.comprehension(arg.generators, arg.elt, arg)
            if source is None:
                return self.poison()
            seq, target = source
            element: ast.expr = arg.elt
        else:
            seq = self.sequence_argument(arg)
            if self.quiet(seq):
                return self.poison()
            target, element = Target("item"), ast.Name("item", ast.Load())
            ast.copy_location(element, arg)
        region, held = self.iteration_region(seq, target, lambda: self.condition(element))
        if self.quiet(held):
            return self.poison()
        self.yield_in(region, [held], [Bool], element)
        return self.emit(cls, node, [seq], [Bool], regions=[region]).result

    # ------------------------------------------------------------------ ordering

    def builtin_min(self, node: ast.Call) -> Value:
        return self.extremum(node, MinOp, "min")

    def builtin_max(self, node: ast.Call) -> Value:
        return self.extremum(node, MaxOp, "max")

    def extremum(self, node: ast.Call, cls: type[Op], name: str) -> Value:
        """``min(xs)``, ``min(a, b, ...)``, ``min(gen)``, each optionally with ``key=``."""
        if not node.args or not self.arguments(node, name, (len(node.args),), ("key",)):
            if not node.args:
                self.lower_arguments(node)
                return self.error(node, f"{name}() needs a list or at least two values")
            return self.poison()
        if len(node.args) == 1:
            seq = self.sequence_argument(node.args[0])
        else:
            values = [self.expr(a) for a in node.args]
            joined = self.meet(
                values, node, f"the arguments of {name}() have different types ({{}} and {{}})"
            )
            seq = self.poison() if joined is None else self.make_list(values, joined, node)
        return self.ordered(cls, name, seq, node, {})

    def builtin_sorted(self, node: ast.Call) -> Value:
        if not self.arguments(node, "sorted", (1,), ("key", "reverse")):
            return self.poison()
        seq = self.sequence_argument(node.args[0])
        reverse = self.reverse_flag(node)
        if reverse is None:
            return self.poison()
        return self.ordered(SortOp, "sorted", seq, node, {"reverse": reverse})

    def reverse_flag(self, node: ast.Call) -> bool | None:
        """The ``reverse=`` of ``sorted(...)`` / ``xs.sort(...)`` (a literal; ``None`` when it is
        not, after reporting it)."""
        for keyword in node.keywords:
            if keyword.arg == "reverse":
                flag = keyword.value
                if not (isinstance(flag, ast.Constant) and isinstance(flag.value, bool)):
                    self.error(flag, "reverse= must be True or False")
                    return None
                return flag.value
        return False

    def ordered(
        self, cls: type[Op], name: str, seq: Value, node: ast.Call, attrs: dict[str, Attr]
    ) -> Value:
        """A sort/min/max op over ``seq`` with the call's optional key region."""
        key = next((k.value for k in node.keywords if k.arg == "key"), None)
        if self.quiet(seq):
            return self.poison()
        assert isinstance(seq.type, ListType)
        element = seq.type.element
        regions: list[Region] = []
        if key is not None:
            region = self.key_region(key, element, name)
            if region is None:
                return self.poison()
            regions.append(region)
        elif not orderable(element):
            return self.type_error(
                node,
                f"{name}() cannot order {describe(element)} values; give a key, "
                f"e.g. key=lambda p: p.horizontal_center",
                element,
            )
        result = seq.type if cls is SortOp else element
        return self.emit(cls, node, [seq], [result], attrs, regions).result

    def key_region(self, key: ast.expr, element: Type, name: str) -> Region | None:
        """The region of ``key=lambda x: ...``: one argument, an orderable result."""
        if not isinstance(key, ast.Lambda):
            if not isinstance(key, ast.Name):  # a bare function name (key=len) is this mistake
                self.expr(key)
            self.error(key, f"the key= of {name}() must be a lambda, e.g. key=lambda p: p.left")
            return None
        args = key.args
        if (
            len(args.args) != 1
            or args.vararg
            or args.kwarg
            or args.kwonlyargs
            or args.posonlyargs
            or args.defaults
        ):
            self.error(key, "a key lambda takes exactly one parameter: lambda x: ...")
            return None
        param = args.args[0].arg
        region = Region([element], arg_names=[param])
        with self.in_region(region):
            self.bind(param, region.args[0])
            value = self.expr(key.body)
        if self.quiet(value):
            return None
        if not orderable(value.type):
            self.type_error(
                key.body,
                f"a sort key must be a number or a string, not {describe(value.type)}",
                value.type,
            )
            return None
        self.yield_in(region, [value], [value.type], key.body)
        return region
