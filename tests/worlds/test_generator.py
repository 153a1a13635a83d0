"""The scene generator: determinism, layout invariants, difficulty, constraints."""

from collections import Counter
from itertools import combinations

import numpy as np
import pytest

from fmpc.semantics.values import ImageValue
from fmpc.worlds import (
    LOOKALIKES,
    SIZE_RANGES,
    GenerationError,
    ObjectSpec,
    Scene,
    SceneGenerator,
    UnknownVocabulary,
    glyph_pool,
)

N = 120


@pytest.fixture(scope="module")
def scenes() -> list[Scene]:
    generator = SceneGenerator(11)
    return [generator.scene(i) for i in range(N)]


def test_same_seed_same_pixels_and_scene_graph() -> None:
    a, b = SceneGenerator(5), SceneGenerator(5)
    for i in (0, 3, 17):
        first, second = a.image(i), b.image(i)
        assert first.scene == second.scene
        np.testing.assert_array_equal(first.pixels, second.pixels)


def test_scene_does_not_depend_on_generation_order() -> None:
    generator = SceneGenerator(5)
    late = [generator.scene(i) for i in range(30)][29]
    assert SceneGenerator(5).scene(29) == late
    reverse = [generator.scene(i) for i in reversed(range(30))]
    assert reverse[0] == late


def test_seeds_and_names_give_different_streams() -> None:
    base = SceneGenerator(5).scene(2)
    assert SceneGenerator(6).scene(2).objects != base.objects
    assert SceneGenerator(5, name="other").scene(2).objects != base.objects


def test_image_value_carries_scene_and_read_only_pixels() -> None:
    image = SceneGenerator(3, name="q7").image(4)
    assert isinstance(image, ImageValue)
    assert image.id == "q7-3-4" == image.scene.id
    assert image.pixels.shape == (64, 64, 3) and image.pixels.dtype == np.float32
    assert image.pixels.min() >= 0.0 and image.pixels.max() <= 1.0
    with pytest.raises(ValueError):
        image.pixels[0, 0, 0] = 1.0


def test_stream_yields_consecutive_images() -> None:
    generator = SceneGenerator(3)
    ids = [image.id for image in generator.stream(4, start=10)]
    assert ids == [f"digits-3-{i}" for i in range(10, 14)]


def test_objects_are_in_bounds_apart_and_sized(scenes: list[Scene]) -> None:
    for scene in scenes:
        assert 1 <= len(scene.objects) <= 6
        for obj in scene.objects:
            left, lower, right, upper = obj.box
            assert 0 <= left < right <= 64 and 0 <= lower < upper <= 64
            low, high = SIZE_RANGES[obj.size]
            assert low <= right - left == upper - lower <= high
        for a, b in combinations(scene.objects, 2):
            apart_x = a.box[2] < b.box[0] or b.box[2] < a.box[0]
            apart_y = a.box[3] < b.box[1] or b.box[3] < a.box[1]
            assert apart_x or apart_y, (scene.id, a.box, b.box)


def test_digit_glyphs_come_from_the_bench_pool_and_match(scenes: list[Scene]) -> None:
    pool = glyph_pool("bench")
    digits = [o for s in scenes for o in s.objects if o.kind == "digit"]
    assert len(digits) > 100
    for obj in digits:
        assert pool.digits[obj.glyph] == int(obj.category)
    assert all(o.glyph == -1 for s in scenes for o in s.objects if o.kind == "shape")


def test_object_counts_and_categories_vary(scenes: list[Scene]) -> None:
    counts = Counter(len(s.objects) for s in scenes)
    assert set(counts) == {1, 2, 3, 4, 5, 6}
    categories = {o.category for s in scenes for o in s.objects}
    assert len(categories) == 13
    colours = {o.color for s in scenes for o in s.objects}
    assert len(colours) == 8


def test_default_mix_has_every_level(scenes: list[Scene]) -> None:
    levels = Counter(s.level for s in scenes)
    assert levels["easy"] > levels["medium"] > levels["hard"] > 0


@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_difficulty_level(level: str) -> None:
    generator = SceneGenerator(2, difficulty=level)
    assert {generator.scene(i).level for i in range(20)} == {level}


def test_fixed_and_ranged_difficulty() -> None:
    assert SceneGenerator(2, difficulty=0.25).scene(0).difficulty == 0.25
    values = [SceneGenerator(2, difficulty=(0.4, 0.5)).scene(i).difficulty for i in range(20)]
    assert all(0.4 <= v <= 0.5 for v in values) and len(set(values)) == 20


def test_easy_scenes_have_no_heavy_nuisances() -> None:
    generator = SceneGenerator(4, difficulty="easy")
    for i in range(40):
        scene = generator.scene(i)
        assert scene.nuisances.blur == 0.0 and not scene.nuisances.occluders
        assert not any(o.distractor or o.occluded for o in scene.objects)


def test_hard_scenes_have_all_nuisances() -> None:
    scenes = [SceneGenerator(4, difficulty="hard").scene(i) for i in range(40)]
    assert all(s.nuisances.blur > 0 and s.nuisances.noise > 0.08 for s in scenes)
    assert all(s.nuisances.contrast < 0.8 for s in scenes)
    assert sum(bool(s.nuisances.occluders) for s in scenes) > 10
    assert sum(any(o.distractor for o in s.objects) for s in scenes) > 10
    assert sum(len(s.nuisances.clutter) for s in scenes) > 200


def test_occluded_fraction_matches_occluder() -> None:
    scenes = [SceneGenerator(8, difficulty="hard").scene(i) for i in range(30)]
    occluded = [(s, o) for s in scenes for o in s.objects if o.occluded]
    assert occluded
    for scene, obj in occluded:
        left, lower, right, upper = obj.box
        areas = []
        for occluder in scene.nuisances.occluders:
            o_left, o_lower, o_right, o_upper = occluder.box
            if left <= o_left and o_right <= right and lower <= o_lower and o_upper <= upper:
                areas.append((o_right - o_left) * (o_upper - o_lower))
        assert len(areas) == 1
        assert areas[0] / ((right - left) * (upper - lower)) == pytest.approx(obj.occluded)
        assert 0 < obj.occluded < 0.5


def test_forced_lookalikes_are_lookalikes() -> None:
    generator = SceneGenerator(9, lookalikes=True, difficulty="easy")
    with_digits = 0
    for i in range(60):
        objects = generator.scene(i).objects
        originals = [o.category for o in objects if o.kind == "digit" and not o.distractor]
        twins = [o.category for o in objects if o.distractor]
        with_digits += bool(originals)
        for twin in twins:
            assert any(twin in LOOKALIKES[d] for d in originals)
    assert with_digits > 30
    forced = [any(o.distractor for o in generator.scene(i).objects) for i in range(60)]
    assert sum(forced) > 0.7 * with_digits


def test_required_objects_are_present() -> None:
    generator = SceneGenerator(1, name="red7")
    spec = ObjectSpec("seven", color="Red", size="small")
    assert spec == ObjectSpec("7", "red", "small")
    for i in range(40):
        objects = generator.scene(i, require=[spec, ObjectSpec("shape", size="large")]).objects
        assert any(o.category == "7" and o.color == "red" and o.size == "small" for o in objects)
        assert any(o.kind == "shape" and o.size == "large" for o in objects)


def test_predicate_keeps_plain_scene_when_it_holds() -> None:
    generator = SceneGenerator(1)
    plain = generator.scene(3)
    assert generator.scene(3, predicate=lambda s: True) == plain
    three = generator.scene(3, predicate=lambda s: len(s.objects) == 3)
    assert len(three.objects) == 3 and three.id == plain.id


def test_predicate_that_never_holds_is_a_clear_error() -> None:
    with pytest.raises(GenerationError, match="no scene 0 of stream 'digits'.*5 attempts"):
        SceneGenerator(1).scene(0, predicate=lambda s: False, max_tries=5)


def test_unknown_spec_vocabulary() -> None:
    with pytest.raises(UnknownVocabulary, match="object name 'car'"):
        ObjectSpec("car")
    with pytest.raises(UnknownVocabulary, match="colour 'large'"):
        ObjectSpec("7", color="large")
    with pytest.raises(UnknownVocabulary, match="size 'huge'"):
        ObjectSpec("7", size="huge")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seed": -1}, "seed must be >= 0"),
        ({"seed": 0, "pool": "test"}, "unknown glyph pool"),
        ({"seed": 0, "difficulty": 1.5}, "must lie in"),
        ({"seed": 0, "difficulty": "extreme"}, "unknown difficulty level"),
        ({"seed": 0, "min_objects": 3, "max_objects": 2}, "min_objects"),
        ({"seed": 0, "size": 32}, "too small"),
        ({"seed": 0, "glyph_warp": 1.5}, "glyph_warp"),
    ],
)
def test_bad_generator_settings(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SceneGenerator(**kwargs)


def test_a_2000_image_stream() -> None:
    images = list(SceneGenerator(2025).stream(2000))
    assert len({image.id for image in images}) == 2000
    assert all(image.pixels.shape == (64, 64, 3) for image in images)
    levels = Counter(image.scene.level for image in images)
    assert levels["easy"] > levels["medium"] > levels["hard"] > 200
    digests = {image.pixels.tobytes() for image in images[:200]}
    assert len(digests) == 200


def test_glyph_warp_distorts_digits_only_and_stays_deterministic() -> None:
    plain = SceneGenerator(4, pool="train", difficulty="easy")
    warped = SceneGenerator(4, pool="train", difficulty="easy", glyph_warp=1.0)
    assert all(o.warp is None for i in range(20) for o in plain.scene(i).objects)
    objects = [o for i in range(20) for o in warped.scene(i).objects]
    assert all((o.warp is not None) == (o.kind == "digit") for o in objects)
    assert any(o.kind == "digit" for o in objects)
    assert np.array_equal(warped.image(3).pixels, warped.image(3).pixels)


def test_a_warped_glyph_is_drawn_distorted() -> None:
    from dataclasses import replace

    from fmpc.worlds.render import render

    scene = SceneGenerator(6, pool="train", difficulty=0.0, min_objects=1, max_objects=1,
                           digit_share=1.0).scene(0)  # fmt: skip
    [digit] = scene.objects
    still = render(replace(scene, objects=(replace(digit, warp=(0.0, 0.0, 0.0, 0.0)),)))
    assert np.allclose(still, render(scene), atol=1e-5)  # a zero warp is the glyph itself
    turned = render(replace(scene, objects=(replace(digit, warp=(0.3, 0.0, 0.0, 0.0)),)))
    assert np.abs(turned - still).max() > 0.3
