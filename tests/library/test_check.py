"""``call_errors``: a compiled module's routable calls against a library, batched calls too."""

from __future__ import annotations

from fmpc.frontend import compile_source
from fmpc.ir import parse
from fmpc.ir.types import Bool, List, Patch, Str
from fmpc.library import DEFAULT_LIBRARY, LibraryFunction
from fmpc.library.check import call_errors
from fmpc.passes import DEFAULT_PIPELINE, PassManager

PROGRAM = """\
def execute_command(image):
    patches = ImagePatch(image).find("cat")
    names = [p.simple_query("What is it?") for p in patches]
    return ", ".join(names) if patches[0].exists("hat") else "none"
"""

CALLS = """\
module "m.py" {
  func @execute_command(%image: Image) -> Str {
    %p = fmpc.lib(%image) {fn = "image_patch"} : (Image) -> Patch loc(1:1)
    %q = fmpc.const() {value = "q"} : () -> Str loc(2:1)
    %a = fmpc.call(%p, %q) {fn = "simple_query", site = 0} : (Patch, Str) -> Str loc(3:1)
    %b = fmpc.call(%p, %q) {fn = "mystery", site = 1} : (Patch, Str) -> Str loc(4:1)
    %c = fmpc.call(%p, %q) {fn = "exists", site = 2} : (Patch, Str) -> Str loc(5:1)
    %d = fmpc.call(%p) {fn = "image_patch", site = 3} : (Patch) -> Patch loc(6:1)
    fmpc.return(%a) : (Str) -> () loc(7:1)
  }
}
"""


def test_what_the_frontend_compiles_matches_its_library_before_and_after_the_passes() -> None:
    module = compile_source(PROGRAM, "p.py")
    optimized = PassManager(DEFAULT_PIPELINE).run(module)
    assert any(op.name == "fmpc.call.batch" for op in optimized.walk())  # batched by the pipeline
    assert call_errors(module, DEFAULT_LIBRARY) == []
    assert call_errors(optimized, DEFAULT_LIBRARY) == []


def test_unknown_functions_helpers_and_wrong_types_are_located() -> None:
    errors = [str(e) for e in call_errors(parse(CALLS), DEFAULT_LIBRARY)]
    assert errors == [
        "m.py:4:1: 'fmpc.call' calls 'mystery', which is not a function of the library "
        "(declare it in a library file)",
        "m.py:5:1: 'fmpc.call' calls exists(patch: Patch, object_name: Str) -> Bool but its "
        "result has type Str",
        "m.py:6:1: 'fmpc.call' calls 'image_patch', which is a helper, not a routable function "
        "of the library (declare it in a library file)",
    ]
    library = DEFAULT_LIBRARY.extend(LibraryFunction("mystery", (("p", Patch), ("q", Str)), Str))
    assert len(call_errors(parse(CALLS), library)) == 2


def test_a_batched_call_is_checked_item_by_item() -> None:
    library = DEFAULT_LIBRARY.extend(
        LibraryFunction("simple_query", (("patch", Patch), ("question", List(Str))), Bool)
    )
    optimized = PassManager(DEFAULT_PIPELINE).run(compile_source(PROGRAM, "p.py"))
    errors = [str(e) for e in call_errors(optimized, library)]
    assert len(errors) == 1
    assert (
        "calls simple_query(patch: List[Patch], question: List[Str]) -> List[Bool] with "
        "operands of types (List[Patch], Str)" in errors[0]
    )
