"""Checking a compiled module's routable calls against a library.

The IR names the generic function of each ``fmpc.call`` by a string; the verifier checks the IR
alone and knows no library. A module that comes from a file rather than from the frontend (IR
text, JSON) may call a function the library does not declare, or with other types;
:func:`call_errors` finds those calls before a backend is asked to serve them::

    errors = call_errors(module, library)   # [] when every call matches a declaration
"""

from __future__ import annotations

from fmpc.ir.core import Module, Op, VerifyError
from fmpc.ir.ops import CallOp
from fmpc.ir.types import List, Type
from fmpc.library.table import Library, LibraryFunction


def call_errors(module: Module, library: Library) -> list[VerifyError]:
    """One error per routable call of ``module`` that ``library`` does not declare as made: a
    function it lacks or declares as a helper, or operand or result types other than its
    signature's (for ``fmpc.call.batch``, the batched operands and the result are lists)."""
    errors = []
    for op in module.routable_calls():
        if not isinstance(op, CallOp):
            continue
        function = library.get(op.fn)
        if function is None or not function.routable:
            what = "not a function" if function is None else "a helper, not a routable function"
            errors.append(
                op.error(
                    f"calls {op.fn!r}, which is {what} of the library"
                    " (declare it in a library file)"
                )
            )
            continue
        mismatch = _signature_mismatch(op, function)
        if mismatch:
            errors.append(op.error(mismatch))
    return errors


def _signature_mismatch(op: Op, function: LibraryFunction) -> str | None:
    params, result = _expected(op, function)
    got = tuple(v.type for v in op.operands)
    names = [name for name, _ in function.params]
    shown_params = ", ".join(f"{n}: {t}" for n, t in zip(names, params, strict=True))
    signature = f"{function.name}({shown_params}) -> {result}"
    if got != params:
        shown = ", ".join(str(t) for t in got)
        return f"calls {signature} with operands of types ({shown})"
    if op.results and op.results[0].type != result:
        return f"calls {signature} but its result has type {op.results[0].type}"
    return None


def _expected(op: Op, function: LibraryFunction) -> tuple[tuple[Type, ...], Type]:
    batched = set(getattr(op, "batched", ()))
    if not batched:
        return function.param_types, function.result
    params = tuple(List(t) if i in batched else t for i, t in enumerate(function.param_types))
    return params, List(function.result)
