"""The monolithic model's benchmark-style data and the shipped model on benchmark questions."""

from __future__ import annotations

from fmpc.worlds.benchmarks import (
    FORM_KEYS,
    builtin_queries,
    grammar_words,
    parse_benchmark_question,
)
from fmpc.worlds.benchmarks.semantics import answer_benchmark_question
from fmpc.worlds.questions import ANSWERS
from fmpc.zoo.backends import monolithic_backend
from fmpc.zoo.bench_questions import (
    QUESTIONS_PER_SCENE,
    grammar_groups,
    query_groups,
    question_text,
)
from fmpc.zoo.store import VQA_TOKENIZER, WEIGHTS_DIR, read_manifest
from fmpc.zoo.text import UNK, encode, load_tokenizer


def test_grammar_groups_are_deterministic_and_answered_exactly() -> None:
    first, again = grammar_groups(3, 6, "val"), grammar_groups(3, 6, "val")
    assert [g.questions for g in first] == [g.questions for g in again]
    assert [g.image.id for g in first] == [g.image.id for g in again]
    for group in first:
        assert len(group.questions) == len(group.answers) == QUESTIONS_PER_SCENE
        for question, answer in zip(group.questions, group.answers, strict=True):
            parsed = parse_benchmark_question(question)
            assert answer == answer_benchmark_question(parsed, group.image.scene)
            assert answer in ANSWERS
    assert any(o.distractor for g in grammar_groups(0, 20, "train") for o in g.image.scene.objects)


def test_query_groups_ask_the_query_first_with_binary_answers_alternating() -> None:
    query = builtin_queries("binary")[0]
    groups = query_groups(0, 4, "train", [query])
    assert [g.questions[0] for g in groups] == [query.question] * len(groups)
    assert [g.answers[0] for g in groups] == ["yes", "no", "yes", "no"][: len(groups)]
    assert all(g.query == f"binary/{query.id}" for g in groups)


def test_question_text_is_the_grammar_normal_form() -> None:
    assert question_text("Is there an  8 ?") == question_text("is there a 8") == "is there a 8 ?"
    assert question_text("What colour is the 7?") == "what color is the 7 ?"


def test_monolithic_tokenizer_knows_every_grammar_word() -> None:
    tokenizer = load_tokenizer(WEIGHTS_DIR / VQA_TOKENIZER)
    unknown = tokenizer.convert_tokens_to_ids(UNK)
    ids = encode(tokenizer, [" ".join(grammar_words())[:200]])
    assert unknown not in ids[0].tolist()


def test_monolithic_answers_benchmark_questions_with_answer_words() -> None:
    groups = grammar_groups(11, 4, "val")
    calls = [(g.image, q) for g in groups for q in g.questions[:2]]
    calls.append((groups[0].image, builtin_queries("open")[0].question))
    results = monolithic_backend()(calls)
    assert all(r.ok and r.output in ANSWERS and 0.0 <= r.confidence <= 1.0 for r in results)


def test_manifest_reports_the_monolithic_model_per_form_and_task() -> None:
    bench = read_manifest()["models"]["vqa-xl"]["bench"]
    assert set(bench["per_form"]) == set(FORM_KEYS)
    assert set(bench["per_task"]) == {"binary", "open"}
    assert all(0.0 <= value <= 1.0 for value in bench["per_task"].values())
    assert bench["questions"] >= 1000
    # balanced questions: always answering "no" scores well under half
    assert bench["overall"] >= 0.6
