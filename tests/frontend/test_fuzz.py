"""Hypothesis: whatever text the frontend is fed, it either returns a verified module or raises
``CompileError`` with located diagnostics, never any other exception."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmpc.frontend import CompileError, compile_source
from fmpc.ir.verifier import verify_errors

SEEDS = [
    """
def colour(p):
    if p.verify_property("object", "red"):
        return "red"
    elif p.left > 50:
        return "right"
    return "other"


def first_red(patches):
    for q in patches:
        if q.verify_property("object", "red"):
            return q
    return patches[0]


def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    objects = image_patch.find("object")
    if len(objects) == 0:
        return "none"
    names = []
    for i, o in enumerate(objects):
        if i > 3:
            break
        if not o.exists("wheel"):
            continue
        names.append(colour(o))
    best = first_red(objects)
    return f"{len(names)} {best.simple_query('what?')}"
""",
    """
def execute_command(image):
    p = ImagePatch(image)
    ds = p.find("digit")
    total = 0
    for d in ds:
        total += d.horizontal_center
    left = min(ds, key=lambda d: d.left)
    ok = any(d.verify_property("digit", "red") for d in ds if d.left > 10)
    xs = sorted([d.width for d in ds], reverse=True)
    s = sum(d.height for d in ds) / 2
    label = "yes" if ok and 0 < len(ds) <= 3 else "no"
    return bool_to_yesno(ok) + label + str(total + s + xs[-1] + left.left)
""",
    """
def execute_command(image):
    answer = simple_query(image, "What is written?").lower().strip()
    words = answer.split(" ")
    if "stop" in words or answer.startswith("no") or answer is None:
        return "-".join(words[1:3])
    n = coerce_to_numeric(answer)
    crop = ImagePatch(image).crop(0, 0, n, n * 2)
    return llm_query(f"Is {answer} a word? {distance(crop, ImagePatch(image)):.2f}")
""",
]

SEEDS += [
    """
def first_with(patches, word):
    for patch in patches:
        if patch.verify_property("animal", visual_property=word):
            return patch


def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    animal_patches = image_patch.find(object_name="animal", backend="large")
    animal_patches.sort(key=lambda x: x.horizontal_center, reverse=True)
    sleeper = first_with(animal_patches, "sleeping")
    if sleeper is None:
        return image_patch.simple_query()
    crop = ImagePatch(image, 0, 0, sleeper.left, image_patch.height)
    gap = distance(sleeper.horizontal_center, crop.width / 2)
    name = sleeper.simple_query("What animal is this?")
    index = best_image_match(list_patches=animal_patches, content=[name], return_index=True)
    return "{} at {:.1f}".format(name, gap) + image_patch.llm_query(f"Is {index} odd?", long_answer=False)
""",
    """
def execute_command(image):
    image_patch = ImagePatch(image)
    answer = None
    marked = []
    for patch in image_patch.find("object"):
        if patch.exists("7", routing=1):
            marked.extend([patch])
            answer = patch.best_text_match(option_list=["red", "blue"], prefix="the")
    if answer is not None and len(marked) > 1:
        return answer
""",
]

VOCAB = [
    "(", ")", "[", "]", ":", ",", ".", "=", "+", "-", "*", "/", "//", "%", "<", "==", "and", "or",
    "not", "in", "is", "None", "True", "0", "-1", "2.5", '"x"', "if", "else", "for", "return",
    "break", "continue", "lambda", "x", "p", "image", "find", "exists", "len", "min", "sum",
    "any", "sorted", "enumerate", "append", "left", "\n", "\n    ", "def", "pass", "[]", "+=",
    "while", "import", "yield", "try", "__class__", "print", "f'{x}'",
    ".sort()", ".extend", ".format", "'{}'.format(x)", "is None", "is not None", "backend=",
    "routing=", "long_answer=", "return_index=True", "prefix=", "simple_query()", "Optional",
    "-> str", "|", "None",
]  # fmt: skip


def token_spans(source: str) -> list[tuple[int, int]]:
    """Character spans of the source's tokens (as far as it tokenizes)."""
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    spans = []
    skip = {tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT, tokenize.NL, tokenize.NEWLINE}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type not in skip:
                spans.append(
                    (starts[tok.start[0] - 1] + tok.start[1], starts[tok.end[0] - 1] + tok.end[1])
                )
    except (tokenize.TokenError, SyntaxError):
        pass
    return spans


def mutated(source: str, edits: list[tuple[float, int, str]]) -> str:
    """Apply token edits: (where, kind 0=delete 1=replace 2=insert, text)."""
    for where, kind, text in edits:
        spans = token_spans(source)
        if not spans:
            break
        start, end = spans[int(where * len(spans)) % len(spans)]
        if kind == 0:
            source = source[:start] + source[end:]
        elif kind == 1:
            source = source[:start] + text + source[end:]
        else:
            source = source[:start] + text + " " + source[start:]
    return source


def check(source: str) -> None:
    """The frontend's contract on any input."""
    try:
        module = compile_source(source, "fuzz.py")
    except CompileError as error:
        assert error.diagnostics
        lines = max(1, len(source.splitlines()))
        for d in error.diagnostics:
            assert "internal compiler error" not in d.message, source
            assert d.file == "fuzz.py" and 1 <= d.line <= lines + 1 and d.col >= 1
            assert d.format().startswith(f"fuzz.py:{d.line}:{d.col}: error: ")
        return
    assert verify_errors(module) == []
    assert module.source == source


FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EDITS = st.lists(
    st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 2), st.sampled_from(VOCAB)),
    min_size=1,
    max_size=4,
)


def test_seeds_compile() -> None:
    for seed in SEEDS:
        compile_source(seed)


@FAST
@given(st.sampled_from(SEEDS), EDITS)
def test_token_mutations_of_valid_programs(seed: str, edits: list[tuple[float, int, str]]) -> None:
    check(mutated(seed, edits))


@FAST
@given(st.sampled_from(SEEDS), st.data())
def test_line_deletions_and_duplications(seed: str, data: st.DataObject) -> None:
    lines = seed.splitlines()
    drop = data.draw(st.sets(st.integers(0, len(lines) - 1), max_size=3))
    copy = data.draw(st.lists(st.integers(0, len(lines) - 1), max_size=2))
    kept = [line for i, line in enumerate(lines) if i not in drop]
    for i in copy:
        kept.insert(min(i, len(kept)), lines[i])
    check("\n".join(kept))


@FAST
@given(
    st.text(
        alphabet=st.sampled_from(
            list("def execut_comand(imag):\n    return[]+-*/.,=<>!'\"0123456789ifnorlx{}#\t")
        ),
        max_size=200,
    )
)
def test_random_text(text: str) -> None:
    check(text)


ATOMS = ["p", "ps", "1", "2.5", '"a"', "True", "None", "ps[0]", "[]", "[1, 2]", "p.left"]
CALLS = ["len({})", "p.exists({})", "find(image, {})", "str({})", "abs({})", "sum({})", "min({}, {})",
         "{}.lower()", "[q.left for q in {}]", "any(q.exists({}) for q in ps)", "sorted({})"]  # fmt: skip
BINARY = ["{} + {}", "{} - {}", "{} / {}", "{} < {}", "{} == {}", "{} and {}", "{} or {}",
          "not {}", "{} if {} else {}", "{} in {}", "{}[{}]", "f'{{{}}}'"]  # fmt: skip


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3) -> str:
    """Random (often ill-typed) expressions of the subset."""
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(ATOMS))
    template = draw(st.sampled_from(CALLS + BINARY))
    holes = template.count("{}")
    return template.format(*[draw(expressions(depth - 1)) for _ in range(holes)])


@FAST
@given(st.lists(expressions(), min_size=1, max_size=4), st.booleans())
def test_generated_programs(values: list[str], loop: bool) -> None:
    lines = ["def execute_command(image):", "    p = ImagePatch(image)", '    ps = p.find("x")']
    indent = "    "
    if loop:
        lines.append("    for q in ps:")
        indent = "        "
    lines += [f"{indent}v{i} = {v}" for i, v in enumerate(values)]
    lines.append("    return len(ps)" if loop else "    return v0")
    check("\n".join(lines) + "\n")


SIMPLE_STATEMENTS = [
    "n = n + 1", "n += 0.5", "s = s + 'x'", "xs.append(n)", "ys.append(q)", "flag = not flag",
    "m = len(xs)", "s = q.simple_query('a')", "t = 1", "break", "continue", "return s",
    "return n", "pass", "xs = []",
]  # fmt: skip
CONDITIONS = ["flag", "n > 2", "q.exists('a')", "xs", "s == 'x' or m < 1", "t"]


@st.composite
def blocks(draw: st.DrawFn, indent: str, depth: int) -> list[str]:
    """Random nested blocks of statements over a few variables."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.integers(0, 3)) if depth > 0 else 0
        if kind <= 1:
            lines.append(indent + draw(st.sampled_from(SIMPLE_STATEMENTS)))
        elif kind == 2:
            lines.append(f"{indent}if {draw(st.sampled_from(CONDITIONS))}:")
            lines += draw(blocks(indent + "    ", depth - 1))
            if draw(st.booleans()):
                lines.append(f"{indent}else:")
                lines += draw(blocks(indent + "    ", depth - 1))
        else:
            target = draw(st.sampled_from(["q in ps", "i, q in enumerate(ps)"]))
            lines.append(f"{indent}for {target}:")
            lines += draw(blocks(indent + "    ", depth - 1))
    return lines


@FAST
@given(blocks("    ", 3), st.booleans())
def test_generated_control_flow(body: list[str], as_helper: bool) -> None:
    setup = [
        "    p = ImagePatch(image)", '    ps = p.find("x")', "    q = ps[0]", "    n = 0",
        "    s = ''", "    xs = [1]", "    ys = [q]", "    flag = True", "    m = 0",
    ]  # fmt: skip
    if as_helper:
        lines = ["def helper(image):", *setup, *body, "    return s", ""]
        lines += ["def execute_command(image):", "    return helper(image) + helper(image)"]
    else:
        lines = ["def execute_command(image):", *setup, *body, "    return s"]
    check("\n".join(lines) + "\n")


VIPERGPT = sorted((Path(__file__).parent / "vipergpt").glob("*.py"))


@FAST
@given(st.sampled_from(VIPERGPT), EDITS)
def test_token_mutations_of_the_vipergpt_corpus(
    path: Path, edits: list[tuple[float, int, str]]
) -> None:
    check(mutated(path.read_text(), edits))
