"""Analyses (profile data, cost model, use-def graph), cascade calibration, the rewrite driver
and the batched-call op."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fmpc.ir import Value, VerifyError, parse, verify
from fmpc.ir.ops import CallOp, NotOp
from fmpc.passes import (
    AnalysisInputs,
    AnalysisManager,
    CostModel,
    PassError,
    PassManager,
    Profile,
    ProfileError,
    Rewriter,
    Rule,
    UseDefGraph,
    apply_patterns,
    collect_profile,
)
from fmpc.passes.analyses import LAZY_REGION_PRIOR, LOOP_TRIPS_PRIOR
from fmpc.passes.calibration import calibrate
from fmpc.passes.rewrite import RewriteLoopError
from tests.passes.support import hash_backends, images, parse_verified

LOOPY = """
module {
  func @execute_command(%image: Image) -> Bool {
    %patch = fmpc.lib(%image) {fn = "image_patch"} : (Image) -> Patch
    %cat = fmpc.const() {value = "cat"} : () -> Str
    %cats = fmpc.call(%patch, %cat) {fn = "find", site = 0} : (Patch, Str) -> List[Patch]
    %any = fmpc.any(%cats) : (List[Patch]) -> Bool {
    ^(%i: Int, %c: Patch):
      %e = fmpc.call(%c, %cat, %cat) {fn = "verify_property", site = 1} : (Patch, Str, Str) -> Bool
      fmpc.yield(%e) : (Bool) -> ()
    }
    %r = fmpc.or() : () -> Bool {
      fmpc.yield(%any) : (Bool) -> ()
    } {
      %d = fmpc.call(%patch, %cat) {fn = "exists", site = 2} : (Patch, Str) -> Bool
      fmpc.yield(%d) : (Bool) -> ()
    }
    fmpc.return(%r) : (Bool) -> ()
  }
}
"""


def calls(module):  # type: ignore[no-untyped-def]
    return {op.attributes["site"]: op for op in module.routable_calls()}


# ---------------------------------------------------------------- profile data


def test_profile_loads_yaml_and_json(tmp_path: Path) -> None:
    text = "runs: 10\nsites:\n  0: {executions: 10, truthy: 3}\n  2: {executions: 5, cost: 20}\n"
    (tmp_path / "p.yaml").write_text(text)
    profile = Profile.load(tmp_path / "p.yaml")
    assert profile.truthy_rate(0) == 0.3
    assert profile.executions_per_run(2) == 0.5
    assert profile.cost_per_execution(2) == 4.0
    assert profile.truthy_rate(2) is None and profile.executions_per_run(7) is None
    (tmp_path / "p.json").write_text(profile.dumps())
    assert Profile.load(tmp_path / "p.json") == profile


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("runs: 0\n", r"runs: Input should be greater than or equal to 1"),
        ("runs: 2\nsites: {0: {executions: 1, truthy: 2}}\n", r"truthy \(2\) exceeds"),
        ("runs: 2\nsite: {}\n", r"site: Extra inputs are not permitted"),
        ("- 1\n", r"expected a mapping"),
        ("runs: [\n", r"not valid JSON or YAML"),
    ],
)
def test_bad_profiles_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        Profile.loads(text, "p.yaml")


def test_collect_profile_counts_executions_and_truthy_results() -> None:
    module = parse_verified(LOOPY)
    backends = hash_backends(0)
    inputs = images(5)
    profile = collect_profile(module, backends, inputs)
    assert profile.runs == 5
    finds = [backends["find"](p, "cat") for p in (_whole(i) for i in inputs)]
    assert profile.sites[0].executions == 5
    assert profile.sites[0].truthy == sum(bool(f) for f in finds)
    assert profile.sites[1].executions >= 1


def _whole(image):  # type: ignore[no-untyped-def]
    from fmpc.semantics.values import PatchValue

    return PatchValue.whole(image)


def test_profile_renumbering_drops_unknown_sites() -> None:
    profile = Profile.model_validate(
        {"runs": 1, "sites": {3: {"executions": 1}, 4: {"executions": 2}}}
    )
    assert set(profile.renumbered({3: 0}).sites) == {0}


# ---------------------------------------------------------------- cost model and use-def graph


def test_cost_model_prefers_profile_then_backend_costs_then_priors() -> None:
    module = parse_verified(LOOPY)
    by_site = calls(module)
    plain = AnalysisManager(module).get(CostModel)
    assert plain.unit_cost(by_site[0]) == 4.0  # the declared prior of find
    assert plain.executions(by_site[1]) == LOOP_TRIPS_PRIOR
    assert plain.executions(by_site[2]) == LAZY_REGION_PRIOR
    assert plain.module_cost(module) == 4.0 + 2.0 * LOOP_TRIPS_PRIOR + 2.0 * LAZY_REGION_PRIOR
    costs = {"find": {"det-s": 1.0, "det-l": 9.0}}
    profile = Profile.model_validate({"runs": 2, "sites": {2: {"executions": 1, "cost": 3.0}}})
    model = AnalysisManager(module, AnalysisInputs(profile, costs)).get(CostModel)
    assert model.unit_cost(by_site[0]) == 5.0  # mean of the find backends
    assert model.unit_cost(by_site[2]) == 3.0 and model.executions(by_site[2]) == 0.5
    by_site[0].attributes["backends"] = ("det-s",)
    assert model.unit_cost(by_site[0]) == 1.0


def test_use_def_graph_answers_dependence_questions() -> None:
    module = parse_verified(LOOPY)
    graph = AnalysisManager(module).get(UseDefGraph)
    by_site = calls(module)
    find, exists = by_site[0], by_site[2]
    any_op = next(op for op in module.walk() if op.name == "fmpc.any")
    assert graph.users(find.result) == [any_op]
    assert any_op in graph.dependents(find) and graph.depends_on(any_op, find)
    assert not graph.depends_on(exists, find)
    assert not graph.is_unused(find) and graph.is_unused(module.entry.regions[0].ops[-1])


# ---------------------------------------------------------------- calibration


def test_calibration_picks_the_smallest_threshold_within_target() -> None:
    records = [
        {"s": (0.95, True), "l": (0.99, True)},
        {"s": (0.90, True), "l": (0.99, True)},
        {"s": (0.60, False), "l": (0.99, True)},
        {"s": (0.40, False), "l": (0.80, False)},
    ]
    # large: 3/4 right. At t=0.9 the cascade takes s on items 1-2 (right), l on 3-4: 3/4.
    assert calibrate(records, ["s", "l"], target=0.0) == (0.9,)
    # Allowing 0.25 less accuracy, everything may stay with s (t = 0): 2/4.
    assert calibrate(records, ["s", "l"], target=0.25) == (0.0,)


def test_calibration_of_three_levels_goes_backwards() -> None:
    records = [
        {"s": (0.9, True), "m": (0.9, True), "l": (1.0, True)},
        {"s": (0.5, False), "m": (0.8, True), "l": (1.0, True)},
        {"s": (0.2, False), "m": (0.3, False), "l": (1.0, True)},
    ]
    assert calibrate(records, ["s", "m", "l"], target=0.0) == (0.9, 0.8)


def test_calibration_needs_every_backend() -> None:
    with pytest.raises(ValueError, match="sample item 0 has no result for backend"):
        calibrate([{"s": (0.5, True)}], ["s", "l"], 0.0)


def test_cascade_reads_a_calibration_file(tmp_path: Path) -> None:
    sample = {
        "functions": {
            "exists": [{"s": [0.9, True], "l": [0.95, True]}, {"s": [0.3, False], "l": [0.9, True]}]
        },
        "sites": {"2": [{"s": [0.7, True], "l": [0.9, True]}]},
    }
    path = tmp_path / "sample.json"
    path.write_text(json.dumps(sample))
    module = parse_verified(LOOPY)
    pipeline = (
        f'cascade{{calibration="{path}",target=0,backends={{exists=[s,l],verify_property=[s,l]}}}}'
    )
    out = PassManager(pipeline).run(module)
    by_site = calls(out)
    assert by_site[2].attributes["thresholds"] == (0.0,)  # its own sample: s is always right
    assert by_site[1].attributes["thresholds"] == (0.9,)  # no site or function sample: option
    bad = tmp_path / "bad.yaml"
    bad.write_text("functions: {exists: [{s: [high, true]}]}\n")
    with pytest.raises(
        PassError, match=r"bad.yaml: functions.exists.0.s.0: Input should be a valid number"
    ):
        PassManager(f'cascade{{calibration="{bad}",backends={{exists=[s,l]}}}}').run(module)


def test_route_requires_backends_for_every_configured_function() -> None:
    module = parse_verified(LOOPY)
    with pytest.raises(PassError, match=r"no backends configured for 'verify_property' \(site 1\)"):
        PassManager("route{backends={find=[a,b],exists=[c]}}").run(module)


# ---------------------------------------------------------------- rewriting


def test_rules_loop_is_reported() -> None:
    module = parse_verified(LOOPY)

    def wrap(op, rw: Rewriter) -> Value | None:  # type: ignore[no-untyped-def]
        # not x -> not x (a new op every time: never a fixed point)
        return rw.insert_before(op, NotOp(list(op.operands), [op.result.type])).result

    def negate(op, rw: Rewriter) -> Value | None:  # type: ignore[no-untyped-def]
        return None

    target = next(op for op in module.walk() if isinstance(op, CallOp) and op.site == 2)
    wrapped = NotOp([target.result], [target.result.type])
    target.parent.insert(target.parent.ops.index(target) + 1, wrapped)  # type: ignore[union-attr]
    target.parent.ops[-1].operands[0] = wrapped.result  # type: ignore[union-attr]
    verify(module)
    assert not apply_patterns(module.clone(), [Rule(NotOp, negate, "nothing")])
    with pytest.raises(RewriteLoopError, match="did not reach a fixed point"):
        apply_patterns(module, [Rule(NotOp, wrap, "not x -> not x")])


# ---------------------------------------------------------------- the batched call op


@pytest.mark.parametrize(
    ("attributes", "types", "message"),
    [
        ("batched = [1]", "(List[Patch], Str) -> List[Bool]", "batched operand 1 has type Str"),
        ("batched = [0, 0]", "(List[Patch], Str) -> List[Bool]", "distinct operand positions"),
        ("batched = [5]", "(List[Patch], Str) -> List[Bool]", "5 is not an operand position"),
        ("batched = [0]", "(List[Patch], Str) -> Bool", "result has type Bool, expected a List"),
    ],
)
def test_batched_call_verifies_its_shape(attributes: str, types: str, message: str) -> None:
    operand_types, result = types.split(" -> ")
    text = f"""
module {{
  func @execute_command(%image: Image) -> {result} {{
    %patch = fmpc.lib(%image) {{fn = "image_patch"}} : (Image) -> Patch
    %cat = fmpc.const() {{value = "cat"}} : () -> Str
    %cats = fmpc.call(%patch, %cat) {{fn = "find", site = 0}} : (Patch, Str) -> List[Patch]
    %r = fmpc.call.batch(%cats, %cat) {{fn = "exists", site = 1, {attributes}}} : {operand_types} -> {result}
    fmpc.return(%r) : ({result}) -> ()
  }}
}}
"""
    with pytest.raises(VerifyError, match=message):
        verify(parse(text))
