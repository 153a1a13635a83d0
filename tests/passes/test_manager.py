"""The pass infrastructure: registry, pipeline text, pass manager, analyses caching."""

from __future__ import annotations

import io
from dataclasses import dataclass
from types import MappingProxyType

import pytest

from fmpc.ir import Module, print_module, structurally_equal
from fmpc.ir.ops import ConstOp
from fmpc.passes import (
    Analysis,
    AnalysisManager,
    Cascade,
    Pass,
    PassError,
    PassFailure,
    PassManager,
    PassRegistry,
    PassResult,
    PipelineError,
    format_pipeline,
    parse_pipeline,
)
from fmpc.passes.base import DEFAULT_REGISTRY
from tests.passes.support import parse_verified

SMALL = """
module {
  func @execute_command(%image: Image) -> Bool {
    %patch = fmpc.lib(%image) {fn = "image_patch"} : (Image) -> Patch
    %cat = fmpc.const() {value = "cat"} : () -> Str
    %a = fmpc.call(%patch, %cat) {fn = "exists", site = 0} : (Patch, Str) -> Bool
    %b = fmpc.call(%patch, %cat) {fn = "exists", site = 1} : (Patch, Str) -> Bool
    %t = fmpc.const() {value = true} : () -> Bool
    %r = fmpc.and() : () -> Bool {
      fmpc.yield(%a) : (Bool) -> ()
    } {
      fmpc.yield(%b) : (Bool) -> ()
    } {
      fmpc.yield(%t) : (Bool) -> ()
    }
    fmpc.return(%r) : (Bool) -> ()
  }
}
"""


def small() -> Module:
    return parse_verified(SMALL)


# ---------------------------------------------------------------- passes used by these tests


@dataclass(frozen=True)
class Renumber(Pass):
    """Adds ``step`` to every site id (changes the module every time it runs)."""

    name = "renumber"
    step: int = 1

    def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
        work = module.clone()
        for op in work.routable_calls():
            op.attributes["site"] = int(op.attributes["site"]) + self.step  # type: ignore[arg-type]
        return PassResult(work, True)


@dataclass(frozen=True)
class Mutates(Pass):
    """Wrong: changes the module it was given."""

    name = "mutates"

    def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
        module.attributes["touched"] = True
        return PassResult.unchanged(module)


@dataclass(frozen=True)
class Breaks(Pass):
    """Wrong: returns a module with a duplicate call-site id."""

    name = "breaks"

    def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
        work = module.clone()
        for op in work.routable_calls():
            op.attributes["site"] = 0
        return PassResult(work, True)


@dataclass(frozen=True)
class Crashes(Pass):
    """Wrong: raises."""

    name = "crashes"

    def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
        raise KeyError("oops")


def registry() -> PassRegistry:
    reg = PassRegistry()
    for cls in (Renumber, Mutates, Breaks, Crashes):
        reg.register(cls)
    for name in ("cse", "canonicalize", "dce", "cascade"):
        reg.register(DEFAULT_REGISTRY.get(name))
    return reg


# ---------------------------------------------------------------- registry


def test_register_rejects_malformed_pass_classes() -> None:
    reg = PassRegistry()

    class NotFrozen(Pass):
        name = "not-frozen"

        def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
            return PassResult.unchanged(module)

    with pytest.raises(PassError, match="frozen dataclass"):
        reg.register(dataclass(NotFrozen))

    @dataclass(frozen=True)
    class BadName(Pass):
        name = "Bad Name"

        def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
            return PassResult.unchanged(module)

    with pytest.raises(PassError, match="kebab-case"):
        reg.register(BadName)
    with pytest.raises(PassError, match="not a subclass"):
        reg.register(int)  # type: ignore[type-var]


def test_register_refuses_a_taken_name_unless_replacing() -> None:
    reg = registry()

    @dataclass(frozen=True)
    class Other(Renumber):
        name = "renumber"

    with pytest.raises(PassError, match="already registered"):
        reg.register(Other)
    reg.register(Other, replace=True)
    assert reg.get("renumber") is Other


def test_unknown_pass_suggests_a_close_name() -> None:
    with pytest.raises(PipelineError, match=r"unknown pass 'csee'; did you mean 'cse'\?"):
        parse_pipeline("canonicalize,csee")


def test_default_registry_has_the_documented_passes() -> None:
    names = set(DEFAULT_REGISTRY.names())
    assert {"canonicalize", "cse", "dce", "early-exit", "cascade", "batch", "route"} <= names


# ---------------------------------------------------------------- pipeline text


def test_options_are_converted_to_the_declared_types() -> None:
    [cascade] = parse_pipeline(
        "cascade{threshold=0.75, site_thresholds={3=0.5}, functions=[find,exists],"
        ' backends={find=[det-s,"det l"]}, target=0}'
    )
    assert isinstance(cascade, Cascade)
    assert cascade.threshold == 0.75
    assert dict(cascade.site_thresholds) == {3: 0.5}
    assert cascade.functions == ("find", "exists")
    assert dict(cascade.backends) == {"find": ("det-s", "det l")}
    assert isinstance(cascade.backends, MappingProxyType)
    assert cascade.target == 0.0


def test_pipeline_text_round_trips_through_format() -> None:
    text = "canonicalize,cse{exists_via_find=false},cascade{threshold=0.5,functions=[find]}"
    passes = parse_pipeline(text)
    assert format_pipeline(passes) == text
    assert parse_pipeline(format_pipeline(passes)) == passes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cse,cascade{treshold=0.9}", r"no option 'treshold'; did you mean 'threshold'\?"),
        ("cascade{threshold=high}", r"option 'threshold': expected float, got high"),
        ("cascade{threshold=2}", r"threshold for threshold must be in \[0, 1\], got 2"),
        ("cse{exists_via_find=maybe}", r"expected bool"),
        ("dce{calls=true,calls=false}", r"option 'calls' given twice"),
        ("cse,,dce", r"pipeline:5: expected a pass name, found ','"),
        ("cse dce", r"expected ',' between passes, found 'dce'"),
        ("cascade{threshold=0.9", r"expected an option name, found the end"),
        ("canonicalize{x=1}", r"pass 'canonicalize' takes no options, got 'x'"),
        ("early-exit{order=fast}", r"option 'order': expected 'auto' \| 'rank' \| 'none'"),
    ],
)
def test_bad_pipeline_text_says_where_and_why(text: str, message: str) -> None:
    with pytest.raises(PipelineError, match=message) as info:
        parse_pipeline(text)
    assert text in str(info.value)  # the pipeline is quoted with a caret under the mistake


def test_empty_pipeline_runs_nothing() -> None:
    module = small()
    report = PassManager("").run_with_report(module)
    assert report.module is module and not report.changed and report.log == ()


# ---------------------------------------------------------------- pass manager


def test_print_after_all_shows_each_pass() -> None:
    out = io.StringIO()
    PassManager("canonicalize,cse", print_after_all=True, stream=out).run(small())
    text = out.getvalue()
    assert "// ----- IR after canonicalize (changed) -----" in text
    assert "// ----- IR after cse (changed) -----" in text
    assert text.count("module {") == 2


@pytest.mark.parametrize(
    ("pipeline", "message"),
    [
        ("cse,crashes", r"pass 'crashes' failed \(passes run before it: cse\): KeyError"),
        ("canonicalize,dce,breaks", r"'breaks' failed \(passes run before it: canonicalize, dce\)"),
        ("mutates", r"'mutates' failed \(passes run before it: none\): it changed its input"),
    ],
)
def test_a_failing_pass_is_named_with_the_passes_before_it(pipeline: str, message: str) -> None:
    manager = PassManager(pipeline, registry=registry(), check_inputs_unchanged=True)
    with pytest.raises(PassFailure, match=message) as info:
        manager.run(small())
    assert info.value.pass_name == pipeline.split(",")[-1]


def test_an_invalid_result_is_reported_by_the_verifier() -> None:
    with pytest.raises(PassFailure, match="invalid module: .*call-site id 0 is used twice"):
        PassManager("breaks", registry=registry()).run(small())


def test_input_must_verify() -> None:
    module = small()
    module.entry.regions[0].ops.pop()  # no terminator any more
    with pytest.raises(PassError, match="input module does not verify"):
        PassManager("cse").run(module)


def test_fixed_point_iteration_stops_when_nothing_changes() -> None:
    report = PassManager("canonicalize,cse,dce", fixed_point=True).run_with_report(small())
    assert report.converged and report.iterations == 2
    assert [name for name, changed in report.log[3:] if changed] == []


def test_fixed_point_iteration_is_bounded() -> None:
    manager = PassManager("renumber", registry=registry(), fixed_point=True, max_iterations=3)
    report = manager.run_with_report(small())
    assert report.iterations == 3 and not report.converged
    assert [int(op.attributes["site"]) for op in report.module.routable_calls()] == [3, 4]  # type: ignore[arg-type]


def test_passes_never_change_their_input() -> None:
    module = small()
    before = print_module(module)
    PassManager("canonicalize,cse,dce,early-exit,batch,route", check_inputs_unchanged=True).run(
        module
    )
    assert print_module(module) == before


def test_passes_are_immutable_values() -> None:
    cascade = Cascade(threshold=0.5)
    with pytest.raises(AttributeError):
        cascade.threshold = 0.7  # type: ignore[misc]
    assert Cascade(threshold=0.5) == cascade
    assert str(cascade) == "cascade{threshold=0.5}"


# ---------------------------------------------------------------- analyses


def test_analyses_are_cached_until_a_pass_changes_the_module() -> None:
    computed: list[Module] = []

    @dataclass(frozen=True)
    class CountConsts(Analysis):
        count: int

        @classmethod
        def compute(cls, module: Module, analyses: AnalysisManager) -> CountConsts:
            computed.append(module)
            return cls(sum(isinstance(op, ConstOp) for op in module.walk()))

    @dataclass(frozen=True)
    class Reads(Pass):
        name = "reads"
        keep: bool = False

        def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
            analyses.get(CountConsts)
            return PassResult.unchanged(module)

    @dataclass(frozen=True)
    class Changes(Pass):
        name = "changes"
        keep: bool = False

        def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
            analyses.get(CountConsts)
            preserved = frozenset({CountConsts}) if self.keep else frozenset()
            return PassResult(module.clone(), True, preserved)

    reg = PassRegistry()
    reg.register(Reads)
    reg.register(Changes)
    PassManager("reads,reads,changes{keep=true},reads", registry=reg).run(small())
    assert len(computed) == 1  # cached across unchanged passes and a preserving change
    computed.clear()
    PassManager("reads,changes,reads", registry=reg).run(small())
    assert len(computed) == 2  # recomputed after a change that did not preserve it


def test_identity_bound_analyses_never_survive_a_change() -> None:
    from fmpc.passes import UseDefGraph

    module = small()
    analyses = AnalysisManager(module)
    graph = analyses.get(UseDefGraph)
    assert analyses.get(UseDefGraph) is graph
    moved = analyses.advance(module.clone(), frozenset({UseDefGraph}))
    assert not moved.is_cached(UseDefGraph)
    assert moved.get(UseDefGraph) is not graph


def test_route_renumbering_renumbers_the_profile() -> None:
    from fmpc.passes import AnalysisInputs, Profile, ProfileData

    seen: list[float | None] = []

    @dataclass(frozen=True)
    class Probe(Pass):
        name = "probe"

        def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
            seen.append(analyses.get(ProfileData).truthy_rate(0))
            return PassResult.unchanged(module)

    reg = PassRegistry()
    reg.register(Probe)
    reg.register(DEFAULT_REGISTRY.get("route"))
    reg.register(DEFAULT_REGISTRY.get("dce"))
    module = small()
    module.entry.regions[0].walk()
    for op in module.routable_calls():
        op.attributes["site"] = int(op.attributes["site"]) + 5  # type: ignore[arg-type]
    profile = Profile.model_validate({"runs": 4, "sites": {5: {"executions": 4, "truthy": 1}}})
    PassManager("probe,route,probe", registry=reg, inputs=AnalysisInputs(profile=profile)).run(
        module
    )
    assert seen == [None, 0.25]  # site 5 became site 0


def test_structurally_equal_after_unchanged_pipeline() -> None:
    module = small()
    again = PassManager("batch").run(module)
    assert again is module and structurally_equal(again, small())
