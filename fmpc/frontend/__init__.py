"""The Python frontend: lowers a program's text to a verified IR module, never executing it.

>>> module = compile_source('''
... def execute_command(image):
...     image_patch = ImagePatch(image)
...     return bool_to_yesno(image_patch.exists("7"))
... ''')
>>> [op.attributes["fn"] for op in module.routable_calls()]
['exists']

The accepted subset is documented in ``docs/frontend.md``.
"""

from fmpc.frontend.compiler import compile_file, compile_source, compile_source_with_warnings
from fmpc.frontend.diagnostics import CompileError, Diagnostic
from fmpc.library import DEFAULT_LIBRARY, CallOption, Library, LibraryFunction


def __getattr__(name: str) -> object:
    # Library files need pydantic and yaml, slow to import: load them on first use only.
    if name in ("LibraryFileError", "load_library", "parse_library"):
        from fmpc.frontend import library_file

        return getattr(library_file, name)
    raise AttributeError(f"module 'fmpc.frontend' has no attribute {name!r}")


__all__ = [
    "DEFAULT_LIBRARY",
    "CallOption",
    "CompileError",
    "Diagnostic",
    "Library",
    "LibraryFileError",
    "LibraryFunction",
    "compile_file",
    "compile_source",
    "compile_source_with_warnings",
    "load_library",
    "parse_library",
]
