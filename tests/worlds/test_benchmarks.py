"""Benchmark query files, the question grammar and streams (fmpc.worlds.benchmarks)."""

from __future__ import annotations

import textwrap
import threading
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from fmpc.ir.ops import ForOp, IfOp, ReturnOp
from fmpc.ir.types import Str
from fmpc.ir.verifier import verify
from fmpc.semantics.interpreter import Interpreter
from fmpc.worlds import ANSWERS, Scene, perfect_backends
from fmpc.worlds.benchmarks import (
    FORM_KEYS,
    FORMS,
    REASONING_TYPES,
    BenchmarkQuery,
    BenchmarkQuestion,
    NounPhrase,
    NumberFact,
    QueryFileError,
    QuestionSyntaxError,
    Stream,
    StreamError,
    answer_benchmark_question,
    binary_plan,
    builtin_queries,
    grammar_words,
    load_queries,
    parse_benchmark_question,
    parse_queries,
    positive_count,
    sample_benchmark_question,
)
from fmpc.worlds.benchmarks import streams as streams_module
from fmpc.worlds.benchmarks.semantics import ANSWERERS
from fmpc.worlds.benchmarks.streams import NEAR_MISS, NEGATIVE, POSITIVE
from fmpc.worlds.generator import SceneGenerator
from fmpc.worlds.perception import matches_name, unrendered_image

BINARY = builtin_queries("binary")
OPEN = builtin_queries("open")
ALL = BINARY + OPEN


def _ids(queries: tuple[BenchmarkQuery, ...]) -> list[str]:
    return [q.id for q in queries]


# ---------------------------------------------------------------- shipped files


def test_shipped_files_have_enough_queries() -> None:
    assert len(BINARY) >= 24
    assert len(OPEN) >= 30
    per_type = Counter(q.type for q in OPEN)
    assert set(per_type) == set(REASONING_TYPES)
    assert min(per_type.values()) >= 6
    assert {q.task for q in BINARY} == {"binary"} and {q.task for q in OPEN} == {"open"}


def test_query_ids_are_unique_across_files() -> None:
    ids = _ids(ALL)
    assert len(ids) == len(set(ids))


def test_shipped_streams_have_the_benchmark_sizes() -> None:
    for query in BINARY:
        assert query.stream.size >= 2000
        assert query.stream.positive_rate == pytest.approx(0.01)  # type: ignore[union-attr]
    for query in OPEN:
        assert query.stream.size >= 500
        assert query.stream.lookalikes


@pytest.mark.parametrize("query", ALL, ids=_ids(ALL))
def test_programs_compile_verify_and_answer_strings(query: BenchmarkQuery) -> None:
    verify(query.module)
    assert query.module.entry.attributes["result_type"] == Str
    assert query.warnings == ()


@pytest.mark.parametrize("query", BINARY, ids=_ids(BINARY))
def test_binary_programs_are_compositional_with_early_exits(query: BenchmarkQuery) -> None:
    assert 3 <= len(query.module.routable_calls()) <= 8
    entry = query.module.entry
    nested_returns = [
        op
        for op in entry.walk()
        if isinstance(op, ReturnOp) and isinstance(op.parent_op(), IfOp | ForOp)
    ]
    assert nested_returns, "a binary program should leave early from inside an if or a loop"


@pytest.mark.parametrize("query", ALL, ids=_ids(ALL))
def test_questions_are_in_the_grammar(query: BenchmarkQuery) -> None:
    parsed = query.parsed_question()
    assert parsed.text() == query.question


# ---------------------------------------------------------------- labels


@pytest.mark.parametrize("query", ALL, ids=_ids(ALL))
def test_labels_agree_with_the_grammar_semantics(query: BenchmarkQuery) -> None:
    stream = Stream(query, seed=3, size=60 if query.task == "open" else 100)
    question = query.parsed_question()
    for scene, label in zip(stream.scenes, stream.labels, strict=True):
        assert answer_benchmark_question(question, scene) == label, scene.id
    assert set(stream.labels) <= set(ANSWERS)


def test_short_binary_stream_has_one_positive_per_hundred() -> None:
    for query in BINARY[:4]:
        stream = Stream(query, seed=0, size=200)
        plan = binary_plan(200, 0.01, 0.1, 0, query.id)
        assert len(stream.positives) == 2
        assert stream.positives == tuple(i for i, kind in enumerate(plan) if kind == POSITIVE)


def test_labels_hold_on_the_rendered_images() -> None:
    query = BINARY[0]
    stream = Stream(query, seed=1, size=100)
    interpreter = Interpreter(query.module, perfect_backends())
    picked = [*stream.positives, 0, 1, 2]
    for index in picked:
        image, label = stream[index]
        assert image.pixels.shape == (64, 64, 3) and not image.pixels.flags.writeable
        assert float(image.pixels.max()) > 0.0
        assert interpreter.run(image) == label


def test_near_misses_contain_the_required_objects_yet_answer_no() -> None:
    query = next(q for q in BINARY if q.id == "red-7-left-of-circle")
    stream = Stream(query, seed=0, size=100)
    plan = binary_plan(100, 0.01, 0.1, 0, query.id)
    near = [i for i, kind in enumerate(plan) if kind == NEAR_MISS]
    assert len(near) == 10
    for index in near:
        scene = stream.scenes[index]
        assert stream.labels[index] == "no"
        assert any(o.category == "7" and o.color == "red" for o in scene.objects)
        assert any(o.category == "circle" for o in scene.objects)


@pytest.mark.parametrize("query", OPEN[::5], ids=_ids(OPEN[::5]))
def test_open_scenes_contain_lookalike_distractors(query: BenchmarkQuery) -> None:
    stream = Stream(query, seed=0, size=40)
    for scene in stream.scenes:
        assert any(o.distractor for o in scene.objects), scene.id
        for spec in query.stream.specs():
            assert any(
                matches_name(o, spec.name) and spec.color in (None, o.color) for o in scene.objects
            )


def test_open_answers_are_varied() -> None:
    query = next(q for q in OPEN if q.id == "color-of-topmost-digit")
    assert len(set(Stream(query, seed=0, size=100).labels)) >= 6


# ---------------------------------------------------------------- determinism


def test_streams_are_deterministic() -> None:
    for query in (BINARY[1], OPEN[2]):
        first, second = Stream(query, seed=5, size=50), Stream(query, seed=5, size=50)
        assert first.ids == second.ids
        assert first.labels == second.labels
        assert np.array_equal(first.image(7).pixels, second.image(7).pixels)
        other = Stream(query, seed=6, size=50)
        assert other.ids != first.ids
        assert [s.objects for s in other.scenes] != [s.objects for s in first.scenes]


def test_stream_ids_are_unique_across_queries() -> None:
    ids = [Stream(q, seed=0, size=5).ids for q in (BINARY[0], BINARY[1], OPEN[0])]
    flat = [i for group in ids for i in group]
    assert len(flat) == len(set(flat)) == 15
    assert ids[0][0] == f"binary-{BINARY[0].id}-0-0"


def test_iteration_yields_images_and_labels_in_order() -> None:
    stream = Stream(OPEN[0], seed=0, size=6)
    pairs = list(stream)
    assert [image.id for image, _ in pairs] == list(stream.ids)
    assert [label for _, label in pairs] == list(stream.labels)
    assert len(stream) == 6


def test_labels_are_built_once_across_threads() -> None:
    stream = Stream(BINARY[2], seed=0, size=80)
    results: list[tuple[str, ...]] = []

    def read() -> None:
        results.append(stream.labels)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r is results[0] for r in results)


def test_positive_count_and_plan() -> None:
    assert positive_count(2000, 0.01) == 20
    assert positive_count(200, 0.01) == 2
    assert positive_count(50, 0.01) == 1
    assert positive_count(100, 0.0) == 0
    plan = binary_plan(1000, 0.01, 0.1, 0, "q")
    kinds = Counter(plan)
    assert kinds[POSITIVE] == 10 and kinds[NEAR_MISS] == 99 and kinds[NEGATIVE] == 891
    assert plan == binary_plan(1000, 0.01, 0.1, 0, "q")
    assert plan != binary_plan(1000, 0.01, 0.1, 1, "q")
    assert plan != binary_plan(1000, 0.01, 0.1, 0, "r")


def test_seed_offset_and_size_override() -> None:
    query = OPEN[0]
    moved = query.spec.model_copy(
        update={"stream": query.stream.model_copy(update={"seed_offset": 4})}
    )
    shifted = BenchmarkQuery(moved, query.module)
    assert Stream(shifted, seed=1, size=3).scenes[0].seed == 5
    assert len(Stream(query, seed=0, size=3).labels) == 3


@pytest.mark.slow
def test_full_binary_streams_hold_exactly_one_positive_per_hundred() -> None:
    for query in BINARY:
        stream = Stream(query, seed=0)
        assert len(stream) == 2000
        assert len(stream.positives) == 20
        question = query.parsed_question()
        assert all(
            answer_benchmark_question(question, s) == label
            for s, label in zip(stream.scenes, stream.labels, strict=True)
        )


# ---------------------------------------------------------------- grammar


def test_every_form_has_an_answer_function() -> None:
    assert tuple(ANSWERERS) == FORM_KEYS
    assert len(set(FORM_KEYS)) == len(FORMS)


def test_sampled_questions_round_trip_and_answer_in_the_vocabulary() -> None:
    rng = np.random.default_rng(0)
    generator = SceneGenerator(seed=0, pool="train")
    words = set(grammar_words())
    forms: Counter[str] = Counter()
    for i in range(400):
        scene = generator.scene(i)
        question = sample_benchmark_question(rng, scene)
        text = question.text()
        assert parse_benchmark_question(text) == question, text
        assert answer_benchmark_question(question, scene) in ANSWERS
        assert set(text.replace("?", " ?").replace(",", " ,").split()) <= words, text
        forms[question.form] += 1
    assert set(forms) == set(FORM_KEYS)


def test_parsing_is_lenient_about_spelling() -> None:
    question = parse_benchmark_question("  Is there an ORANGE seven to the left of a Circle ")
    assert question == BenchmarkQuestion.of(
        "exists_rel",
        np=NounPhrase("7", color="orange"),
        rel="to the left of",
        np2=NounPhrase("circle"),
    )
    assert question.text() == "is there an orange 7 to the left of a circle?"
    sevens = parse_benchmark_question("how many sevens are there?")
    assert sevens.np("nps") == NounPhrase("7")
    facts = parse_benchmark_question("is the digit greater than five?")
    assert facts.fact("fact") == NumberFact("greater", 5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("are there two large even digits?", "is not a benchmark question; the forms are"),
        ("is there an even circle?", "even/odd only go with 'digit'"),
        ("is there a large small 7?", "has two size words"),
        ("which circle has the greatest value?", "must name digits"),
        ("are there at least 7 circles?", "count '7' must be two to five"),
    ],
)
def test_questions_outside_the_grammar_are_rejected(text: str, message: str) -> None:
    with pytest.raises(QuestionSyntaxError, match=message):
        parse_benchmark_question(text)


def test_of_checks_slot_names() -> None:
    with pytest.raises(QuestionSyntaxError, match="has the slots np, rel, np2"):
        BenchmarkQuestion.of("exists_rel", np=NounPhrase("7"))


def test_semantics_on_the_hand_scene(scene: Scene) -> None:
    # A red large 7 (12, 50), a blue small circle (35.5, 50.5), a green small 4 (51, 11) and a
    # yellow large triangle (14.5, 11.5).
    expected = {
        "is there a red 7 to the left of a circle?": "yes",
        "is there a red 7 to the right of a circle?": "no",
        "is the digit above the triangle a prime number?": "yes",
        "what color is the digit to the left of the circle?": "red",
        "what is the bottommost object?": "4",
        "what is the topmost shape?": "circle",
        "how many digits are there?": "2",
        "how many small objects are to the right of the 7?": "2",
        "is the triangle closer than the 4?": "yes",
        "which is closer, the circle or the 7?": "7",
        "which has the greater value, the 4 or the 7?": "7",
        "do the 7 and the 4 add up to 11?": "yes",
        "are all digits large?": "no",
        "is there a digit that is not red?": "yes",
        "what color is the square?": "none",
        "what shape is below the circle?": "triangle",
        "is the number of shapes a prime number?": "yes",
        "how many digits are greater than 5?": "1",
    }
    for text, answer in expected.items():
        assert answer_benchmark_question(parse_benchmark_question(text), scene) == answer, text


def test_program_and_grammar_agree_on_a_hand_scene(scene: Scene) -> None:
    image = unrendered_image(scene)
    for query in ALL:
        program_answer = Interpreter(query.module, perfect_backends()).run(image)
        assert program_answer == answer_benchmark_question(query.parsed_question(), scene)


# ---------------------------------------------------------------- malformed files

PROGRAM = """\
    program: |
      def execute_command(image):
          return bool_to_yesno(ImagePatch(image).exists("7"))
"""


def _file(*queries: str) -> str:
    return "queries:\n" + "".join(textwrap.dedent(q) for q in queries)


def _query(body: str, program: str = PROGRAM) -> str:
    return textwrap.indent(textwrap.dedent(body), "  ") + program


def _problems(text: str) -> list[str]:
    with pytest.raises(QueryFileError) as caught:
        parse_queries(text, "q.yaml")
    return list(caught.value.problems)


def test_a_valid_user_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        _file(
            _query("- id: any-7\n  task: binary\n  question: is there a 7?\n"),
            _query("- id: open-7\n  task: open\n  type: logical\n  question: is there a 7?\n"),
        )
    )
    queries = load_queries(path)
    assert _ids(queries) == ["any-7", "open-7"]
    assert queries[0].origin == f"{path}:2"
    assert queries[0].stream.size == 2000 and queries[1].stream.size == 500
    stream = Stream(queries[0], size=100)
    (positive,) = stream.positives
    assert any(o.category == "7" for o in stream.scenes[positive].objects)
    assert stream.labels.count("no") == 99


def test_malformed_yaml_names_line_and_column() -> None:
    (problem,) = _problems("queries:\n  - id: a\n    task: [binary\n")
    assert problem.startswith("q.yaml:4:1: malformed YAML: ")


def test_missing_field_names_query_and_field() -> None:
    text = _file(_query("- id: a\n  task: binary\n", program=""))
    assert _problems(text) == [
        "q.yaml:2: query 'a': question: Field required",
        "q.yaml:2: query 'a': program: Field required",
    ]


def test_unknown_field_and_bad_value_name_line_query_and_field() -> None:
    text = _file(
        _query(
            """\
            - id: a
              task: binary
              question: is there a 7?
              colour: red
              stream:
                positive_rate: 2
            """
        )
    )
    assert _problems(text) == [
        "q.yaml:5: query 'a': colour: unknown field",
        "q.yaml:7: query 'a': stream.positive_rate: Input should be less than or equal to 1",
    ]


def test_open_queries_need_a_type_and_no_positive_rate() -> None:
    text = _file(
        _query("- id: b\n  task: open\n  question: is there a 7?\n  stream: {positive_rate: 0.5}\n")
    )
    assert _problems(text) == [
        "q.yaml:2: query 'b': type: Field required",
        "q.yaml:5: query 'b': stream.positive_rate: unknown field",
    ]


def test_task_errors() -> None:
    assert _problems(_file(_query("- id: c\n  question: is there a 7?\n"))) == [
        "q.yaml:2: query 'c': task: required; one of binary, open"
    ]
    assert _problems(_file(_query("- id: c\n  task: multi\n  question: q\n"))) == [
        "q.yaml:3: query 'c': task: must be one of binary, open, not 'multi'"
    ]


def test_vocabulary_errors_in_stream_settings() -> None:
    text = _file(
        _query(
            "- id: d\n  task: binary\n  question: q\n  stream:\n"
            "    require: [{name: dog}]\n    difficulty: extreme\n"
        )
    )
    first, second = _problems(text)
    assert first.startswith(
        "q.yaml:6: query 'd': stream.require[0].name: unknown object name 'dog'"
    )
    assert second.startswith("q.yaml:7: query 'd': stream.difficulty: difficulty must be a number")


def test_duplicate_ids_and_keys() -> None:
    text = _file(
        _query("- id: e\n  task: binary\n  question: q\n  question: again\n"),
        _query("- id: e\n  task: binary\n  question: q\n"),
    )
    assert _problems(text) == [
        "q.yaml:5: duplicate key 'question'",
        "q.yaml:9: query 'e': id: duplicate id (first used at line 2)",
    ]


def test_missing_id_and_bad_top_level() -> None:
    assert _problems(_file(_query("- task: binary\n  question: q\n"))) == [
        "q.yaml:2: queries[0]: id: Field required"
    ]
    assert _problems("") == ["q.yaml:1: the file is empty; expected a mapping with 'queries'"]
    assert _problems("querys: []\n") == [
        "q.yaml:1: queries: Field required",
        "q.yaml:1: querys: unknown field",
    ]


def test_compile_errors_are_located_in_the_yaml_file() -> None:
    program = """\
    program: |
      def execute_command(image):
          while True:
              return "no"
"""
    text = _file(_query("- id: f\n  task: binary\n  question: q\n", program=program))
    (problem,) = _problems(text)
    head, diagnostic = problem.split("\n", 1)
    assert head == "q.yaml:5: query 'f': the program does not compile:"
    assert diagnostic.startswith("q.yaml:7:9: error: while loops are not supported")
    assert diagnostic.endswith("\n            while True:\n            ^")


def test_programs_must_answer_strings() -> None:
    program = "    program: |\n      def execute_command(image):\n          return 1\n"
    text = _file(_query("- id: g\n  task: binary\n  question: q\n", program=program))
    assert _problems(text) == [
        "q.yaml:5: query 'g': program: execute_command must return a str ('yes' or 'no'), not Int"
    ]


def test_questions_outside_the_grammar_only_warn() -> None:
    (query,) = parse_queries(_file(_query("- id: h\n  task: binary\n  question: is a 7 here?\n")))
    (warning,) = query.warnings
    assert "query 'h': question: outside the benchmark grammar" in warning


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(QueryFileError, match="cannot read the query file"):
        load_queries(tmp_path / "absent.yaml")


# ---------------------------------------------------------------- stream errors


def _user_query(body: str) -> BenchmarkQuery:
    text = _file(_query("- id: u\n  task: binary\n  question: is there a 7?\n", program=body))
    return parse_queries(text)[0]


def test_impossible_positives_give_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams_module, "MAX_TRIES", 20)
    never = '    program: |\n      def execute_command(image):\n          return "no"\n'
    with pytest.raises(StreamError, match="query 'u': no positive scene .* stream.require"):
        _ = Stream(_user_query(never), size=100).labels


def test_binary_programs_must_answer_yes_or_no() -> None:
    maybe = '    program: |\n      def execute_command(image):\n          return "maybe"\n'
    with pytest.raises(StreamError, match="answered 'maybe' on scene .* must answer 'yes' or 'no'"):
        _ = Stream(_user_query(maybe), size=10).labels


def test_labelling_failures_name_the_query_and_scene() -> None:
    broken = (
        "    program: |\n      def execute_command(image):\n"
        '          return ImagePatch(image).simple_query("what animal is this?")\n'
    )
    with pytest.raises(StreamError, match="query 'u': labelling scene binary-u-0-.* failed"):
        _ = Stream(_user_query(broken), size=10).labels


def test_stream_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="seed must be >= 0"):
        Stream(OPEN[0], seed=-1)
    with pytest.raises(ValueError, match="size must be >= 1"):
        Stream(OPEN[0], size=0)
    with pytest.raises(ValueError, match="unknown task"):
        builtin_queries("multi")


def test_hostile_query_files_get_located_errors_quickly(tmp_path: Path) -> None:
    from tests.runtime.test_yaml_limits import laughs

    cases = {
        "laughs.yaml": laughs().encode(),
        "deep.yaml": ("queries: " + "[" * 2000 + "]" * 2000 + "\n").encode(),
        "latin.yaml": b"queries: caf\xe9\n",
    }
    expected = {
        "laughs.yaml": ":7:10: more than 100000 nodes (aliases expanded)",
        "deep.yaml": ":1:73: nested deeper than 64 levels",  # the top mapping is level 1
        "latin.yaml": ":1:13: not UTF-8 text (byte 0xe9); save the file as UTF-8",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(QueryFileError) as caught:
            load_queries(tmp_path / name)
        assert str(caught.value).endswith(f"{tmp_path / name}{expected[name]}")
