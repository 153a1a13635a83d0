"""What a benchmark question means: its exact answer, read from a scene graph.

``answer_benchmark_question(question, scene)`` answers any question of
``fmpc.worlds.benchmarks.grammar.FORMS``. It is an independent definition of the questions: the
benchmark files' programs, run with perfect perception, must give the same answers (the tests
check it on every shipped query), and the monolithic model is trained on it.

Conventions (the same as perfect perception, ``fmpc.worlds.perception``):

- objects are taken **left to right** by box centre (ties: bottom to top), as ``find`` lists them;
- **the** {np} is the first object, in that order, that the noun phrase names;
- **the** {np} {rel} **the** {np2} is the first {np} object in the relation to the {np2};
- relations compare box centres: ``to the left of`` a smaller x, ``above`` a larger y (y up);
- the leftmost / rightmost / topmost / bottommost object is the first with the smallest x /
  largest x / largest y / smallest y;
- **closer** means a larger box (perfect ``compute_depth`` is ``16 / side``); ties are not closer;
- a digit's **value** is its number; number facts are answered as ``llm_query`` answers them;
- ``are all {nps} {prop}?`` is ``no`` when there is no such object;
- without the object a definite noun phrase names, yes/no forms answer ``no``, the others
  ``none``; counting forms count 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

from fmpc.worlds.benchmarks.grammar import BenchmarkQuestion, NounPhrase
from fmpc.worlds.perception import has_property, matches_name
from fmpc.worlds.scene import Scene, SceneObject

Objects = Sequence[SceneObject]
Answer = Callable[[BenchmarkQuestion, Objects], str]

_RELATED: Mapping[str, Callable[[SceneObject, SceneObject], bool]] = MappingProxyType(
    {
        "to the left of": lambda a, b: a.center[0] < b.center[0],
        "to the right of": lambda a, b: a.center[0] > b.center[0],
        "above": lambda a, b: a.center[1] > b.center[1],
        "below": lambda a, b: a.center[1] < b.center[1],
    }
)


def named(np: NounPhrase, objects: Objects) -> list[SceneObject]:
    """The objects ``np`` names, in ``objects``' order."""
    return [o for o in objects if matches_name(o, np.noun) and _has_all(o, np.modifiers)]


def _has_all(obj: SceneObject, props: Sequence[str]) -> bool:
    return all(has_property(obj, prop) for prop in props)


def related(a: SceneObject, relation: str, b: SceneObject) -> bool:
    """Whether ``a`` is in ``relation`` (one of ``RELATIONS``) to ``b``."""
    return _RELATED[relation](a, b)


def extreme(objects: Objects, position: str) -> SceneObject | None:
    """The leftmost / rightmost / topmost / bottommost of ``objects`` (``None`` if empty)."""
    if not objects:
        return None
    if position == "leftmost":
        return min(objects, key=lambda o: o.center[0])
    if position == "rightmost":
        return max(objects, key=lambda o: o.center[0])
    if position == "topmost":
        return max(objects, key=lambda o: o.center[1])
    return min(objects, key=lambda o: o.center[1])


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _the(q: BenchmarkQuestion, slot: str, objects: Objects) -> SceneObject | None:
    found = named(q.np(slot), objects)
    return found[0] if found else None


def _value(obj: SceneObject) -> int:
    return int(obj.category)


def _related_to_the(q: BenchmarkQuestion, subject: str, objects: Objects) -> list[SceneObject]:
    """The ``subject`` objects in relation ``rel`` to the first ``np2`` object."""
    anchor = _the(q, "np2", objects)
    if anchor is None:
        return []
    relation = q.word("rel")
    return [o for o in named(q.np(subject), objects) if related(o, relation, anchor)]


def _first(objects: Objects) -> SceneObject | None:
    return objects[0] if objects else None


# ---------------------------------------------------------------- yes/no forms


def _exists(q: BenchmarkQuestion, objects: Objects) -> str:
    return _yes(bool(named(q.np("np"), objects)))


def _exists_rel(q: BenchmarkQuestion, objects: Objects) -> str:
    anchors = named(q.np("np2"), objects)
    relation = q.word("rel")
    subjects = named(q.np("np"), objects)
    return _yes(any(related(a, relation, b) for a in subjects for b in anchors))


def _at_least(q: BenchmarkQuestion, objects: Objects) -> str:
    return _yes(len(named(q.np("nps"), objects)) >= q.number("n"))


def _exists_fact(q: BenchmarkQuestion, objects: Objects) -> str:
    fact = q.fact("fact")
    return _yes(any(fact.holds(_value(o)) for o in named(q.np("dnp"), objects)))


def _exists_not(q: BenchmarkQuestion, objects: Objects) -> str:
    prop = q.word("prop")
    return _yes(any(not has_property(o, prop) for o in named(q.np("np"), objects)))


def _and(q: BenchmarkQuestion, objects: Objects) -> str:
    return _yes(bool(named(q.np("np"), objects)) and bool(named(q.np("np2"), objects)))


def _or(q: BenchmarkQuestion, objects: Objects) -> str:
    return _yes(bool(named(q.np("np"), objects)) or bool(named(q.np("np2"), objects)))


def _but_no(q: BenchmarkQuestion, objects: Objects) -> str:
    return _yes(bool(named(q.np("np"), objects)) and not named(q.np("np2"), objects))


def _all(q: BenchmarkQuestion, objects: Objects) -> str:
    found = named(q.np("nps"), objects)
    return _yes(bool(found) and all(has_property(o, q.word("prop")) for o in found))


def _more(q: BenchmarkQuestion, objects: Objects) -> str:
    return _yes(len(named(q.np("nps"), objects)) > len(named(q.np("nps2"), objects)))


def _pair(
    q: BenchmarkQuestion, first: str, second: str, objects: Objects
) -> tuple[SceneObject, SceneObject] | None:
    a, b = _the(q, first, objects), _the(q, second, objects)
    return None if a is None or b is None else (a, b)


def _same_color(q: BenchmarkQuestion, objects: Objects) -> str:
    pair = _pair(q, "np", "np2", objects)
    return _yes(pair is not None and pair[0].color == pair[1].color)


def _same_size(q: BenchmarkQuestion, objects: Objects) -> str:
    pair = _pair(q, "np", "np2", objects)
    return _yes(pair is not None and pair[0].size == pair[1].size)


def _closer(q: BenchmarkQuestion, objects: Objects) -> str:
    pair = _pair(q, "np", "np2", objects)
    return _yes(pair is not None and pair[0].side > pair[1].side)


def _rel_yn(q: BenchmarkQuestion, objects: Objects) -> str:
    pair = _pair(q, "np", "np2", objects)
    return _yes(pair is not None and related(pair[0], q.word("rel"), pair[1]))


def _fact_of(q: BenchmarkQuestion, objects: Objects) -> str:
    obj = _the(q, "dnp", objects)
    return _yes(obj is not None and q.fact("fact").holds(_value(obj)))


def _rel_fact(q: BenchmarkQuestion, objects: Objects) -> str:
    obj = _first(_related_to_the(q, "dnp", objects))
    return _yes(obj is not None and q.fact("fact").holds(_value(obj)))


def _sum_is(q: BenchmarkQuestion, objects: Objects) -> str:
    pair = _pair(q, "dnp", "dnp2", objects)
    return _yes(pair is not None and _value(pair[0]) + _value(pair[1]) == q.number("k"))


def _count_fact_yn(q: BenchmarkQuestion, objects: Objects) -> str:
    return _yes(q.fact("fact").holds(len(named(q.np("nps"), objects))))


def _pos_is(q: BenchmarkQuestion, objects: Objects) -> str:
    obj = extreme(named(q.np("np"), objects), q.word("pos"))
    return _yes(obj is not None and matches_name(obj, q.word("name")))


# ---------------------------------------------------------------- open forms


def _color(obj: SceneObject | None) -> str:
    return "none" if obj is None else obj.color


def _category(obj: SceneObject | None) -> str:
    return "none" if obj is None else obj.category


def _color_of(q: BenchmarkQuestion, objects: Objects) -> str:
    return _color(_the(q, "np", objects))


def _color_rel(q: BenchmarkQuestion, objects: Objects) -> str:
    return _color(_first(_related_to_the(q, "np", objects)))


def _color_pos(q: BenchmarkQuestion, objects: Objects) -> str:
    return _color(extreme(named(q.np("np"), objects), q.word("pos")))


def _what_pos(q: BenchmarkQuestion, objects: Objects) -> str:
    return _category(extreme(named(q.np("np"), objects), q.word("pos")))


def _kind_rel(q: BenchmarkQuestion, objects: Objects) -> str:
    anchor = _the(q, "np", objects)
    if anchor is None:
        return "none"
    kind, relation = q.word("kind"), q.word("rel")
    found = [o for o in objects if matches_name(o, kind) and related(o, relation, anchor)]
    return _category(_first(found))


def _count(q: BenchmarkQuestion, objects: Objects) -> str:
    return str(len(named(q.np("nps"), objects)))


def _count_rel(q: BenchmarkQuestion, objects: Objects) -> str:
    return str(len(_related_to_the(q, "nps", objects)))


def _count_fact(q: BenchmarkQuestion, objects: Objects) -> str:
    fact = q.fact("facts")
    return str(sum(fact.holds(_value(o)) for o in named(q.np("dnps"), objects)))


def _values(q: BenchmarkQuestion, objects: Objects) -> list[int]:
    return [_value(o) for o in named(q.np("dnp"), objects)]


def _greatest(q: BenchmarkQuestion, objects: Objects) -> str:
    values = _values(q, objects)
    return str(max(values)) if values else "none"


def _least(q: BenchmarkQuestion, objects: Objects) -> str:
    values = _values(q, objects)
    return str(min(values)) if values else "none"


def _which_closer(q: BenchmarkQuestion, objects: Objects) -> str:
    pair = _pair(q, "np", "np2", objects)
    if pair is None:
        return "none"
    first, second = pair
    return second.category if second.side > first.side else first.category


def _which_greater(q: BenchmarkQuestion, objects: Objects) -> str:
    pair = _pair(q, "dnp", "dnp2", objects)
    return "none" if pair is None else str(max(_value(pair[0]), _value(pair[1])))


def _which_smaller(q: BenchmarkQuestion, objects: Objects) -> str:
    pair = _pair(q, "dnp", "dnp2", objects)
    return "none" if pair is None else str(min(_value(pair[0]), _value(pair[1])))


ANSWERERS: Mapping[str, Answer] = MappingProxyType(
    {
        "exists": _exists,
        "exists_rel": _exists_rel,
        "at_least": _at_least,
        "exists_fact": _exists_fact,
        "exists_not": _exists_not,
        "and": _and,
        "or": _or,
        "but_no": _but_no,
        "all": _all,
        "more": _more,
        "same_color": _same_color,
        "same_size": _same_size,
        "closer": _closer,
        "rel_yn": _rel_yn,
        "fact_of": _fact_of,
        "rel_fact": _rel_fact,
        "sum_is": _sum_is,
        "count_fact_yn": _count_fact_yn,
        "pos_is": _pos_is,
        "color_of": _color_of,
        "color_rel": _color_rel,
        "color_pos": _color_pos,
        "what_pos": _what_pos,
        "kind_rel": _kind_rel,
        "count": _count,
        "count_rel": _count_rel,
        "count_fact": _count_fact,
        "greatest": _greatest,
        "least": _least,
        "which_closer": _which_closer,
        "which_greater": _which_greater,
        "which_smaller": _which_smaller,
    }
)
"""The answer function of each question form, by form key."""


def scene_objects(scene: Scene) -> tuple[SceneObject, ...]:
    """The scene's objects left to right by box centre (then bottom to top), as ``find``."""
    return tuple(sorted(scene.objects, key=lambda o: o.center))


def answer_benchmark_question(question: BenchmarkQuestion, scene: Scene) -> str:
    """The exact answer to ``question`` about ``scene`` (a word of
    ``fmpc.worlds.questions.ANSWERS``)."""
    return ANSWERERS[question.form](question, scene_objects(scene))
