"""Benchmark query files and their streams: streaming binary and open-form VQA.

>>> from fmpc.worlds.benchmarks import Stream, builtin_queries
>>> query = builtin_queries("binary")[0]
>>> stream = Stream(query, seed=0, size=200)
>>> sum(label == "yes" for label in stream.labels)
2

A query file is YAML (``load_queries(path)``); each query has an ``id``, a ``task``, a reasoning
``type``, a ``question`` in the benchmark grammar (``grammar``), a ``program`` and ``stream``
settings. Labels come from running the program with perfect perception. The format, the grammar
and how streams are drawn are documented in docs/benchmark-files.md.
"""

from fmpc.worlds.benchmarks.grammar import (
    FORM_KEYS,
    FORMS,
    BenchmarkQuestion,
    NounPhrase,
    NumberFact,
    QuestionForm,
    QuestionSyntaxError,
    grammar_words,
    parse_benchmark_question,
    render_benchmark_question,
    sample_benchmark_question,
)
from fmpc.worlds.benchmarks.loader import (
    BenchmarkQuery,
    QueryFileError,
    builtin_queries,
    compile_query,
    load_queries,
    parse_queries,
)
from fmpc.worlds.benchmarks.schema import (
    REASONING_TYPES,
    TASKS,
    BinaryQuerySpec,
    BinaryStream,
    ObjectRequirement,
    OpenQuerySpec,
    OpenStream,
    QueryFileSpec,
)
from fmpc.worlds.benchmarks.semantics import answer_benchmark_question
from fmpc.worlds.benchmarks.streams import (
    Stream,
    StreamError,
    binary_plan,
    positive_count,
    streams_for,
)

__all__ = [
    "FORMS",
    "FORM_KEYS",
    "REASONING_TYPES",
    "TASKS",
    "BenchmarkQuery",
    "BenchmarkQuestion",
    "BinaryQuerySpec",
    "BinaryStream",
    "NounPhrase",
    "NumberFact",
    "ObjectRequirement",
    "OpenQuerySpec",
    "OpenStream",
    "QueryFileError",
    "QueryFileSpec",
    "QuestionForm",
    "QuestionSyntaxError",
    "Stream",
    "StreamError",
    "answer_benchmark_question",
    "binary_plan",
    "builtin_queries",
    "compile_query",
    "grammar_words",
    "load_queries",
    "parse_benchmark_question",
    "parse_queries",
    "positive_count",
    "render_benchmark_question",
    "sample_benchmark_question",
    "streams_for",
]
