"""Rendering: objects land where their boxes say, in their colours; nuisances change pixels."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fmpc.worlds import (
    COLORS,
    Blob,
    Nuisances,
    Occluder,
    Scene,
    SceneGenerator,
    Stroke,
    render,
)
from tests.worlds.conftest import hand_scene


def _region(pixels: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    left, lower, right, upper = box
    return pixels[64 - upper : 64 - lower, left:right]


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_clean_render_is_background_outside_boxes(scene: Scene) -> None:
    pixels = render(scene)
    assert pixels.shape == (64, 64, 3) and pixels.dtype == np.float32
    outside = np.ones((64, 64), dtype=bool)
    for obj in scene.objects:
        _region(outside, obj.box)[...] = False
    assert (pixels[outside] == 0.0).all()
    for obj in scene.objects:
        assert _region(pixels, obj.box).max() > 0.5, obj


def test_box_convention_is_bottom_left_origin(scene: Scene) -> None:
    pixels = render(scene)
    # the yellow triangle sits at the bottom-left: high row indices, low columns
    assert _cosine(pixels[-5, 10:20].mean(axis=0), np.asarray(COLORS["yellow"])) > 0.99
    assert (pixels[5:10, 45:57] == 0).all()  # top right of the array: nothing there


def test_objects_are_drawn_in_their_colours(scene: Scene) -> None:
    pixels = render(scene)
    for obj in scene.objects:
        ink = _region(pixels, obj.box).reshape(-1, 3)
        ink = ink[ink.sum(axis=1) > 0.3]
        assert _cosine(ink.mean(axis=0), np.asarray(COLORS[obj.color])) > 0.99, obj
    circle = scene.objects[1]
    cx, cy = circle.center
    centre = pixels[64 - int(cy) - 1 : 64 - int(cy) + 1, int(cx) - 1 : int(cx) + 1]
    np.testing.assert_allclose(centre.mean(axis=(0, 1)), COLORS["blue"], atol=1e-5)


def test_easy_generated_scenes_show_their_colours() -> None:
    generator = SceneGenerator(21, difficulty=0.0)
    for i in range(15):
        image = generator.image(i)
        for obj in image.scene.objects:
            region = _region(image.pixels, obj.box).reshape(-1, 3)
            bright = region[region.sum(axis=1) > 0.5 * np.sum(COLORS[obj.color])]
            assert len(bright) >= 5, obj
            assert _cosine(bright.mean(axis=0), np.asarray(COLORS[obj.color])) > 0.97, obj


def test_render_is_deterministic_with_noise(scene: Scene) -> None:
    noisy = replace(scene, nuisances=Nuisances(noise=0.2, noise_seed=3))
    np.testing.assert_array_equal(render(noisy), render(noisy))
    other = replace(scene, nuisances=Nuisances(noise=0.2, noise_seed=4))
    assert not np.array_equal(render(noisy), render(other))


def test_noise_blur_and_contrast() -> None:
    clean = render(hand_scene(Nuisances(background=(0.1, 0.1, 0.1))))
    noisy = render(hand_scene(Nuisances(background=(0.5, 0.5, 0.5), noise=0.1, noise_seed=1)))
    assert noisy[:, 25:29].std() == pytest.approx(0.1, rel=0.15)
    blurred = render(hand_scene(Nuisances(background=(0.1, 0.1, 0.1), blur=1.0)))
    assert np.abs(np.diff(blurred, axis=1)).max() < 0.6 * np.abs(np.diff(clean, axis=1)).max()
    dim = render(hand_scene(Nuisances(background=(0.1, 0.1, 0.1), contrast=0.5)))
    np.testing.assert_allclose(dim - 0.1, (clean - 0.1) * 0.5, atol=1e-6)


def test_clutter_and_occluders_are_drawn() -> None:
    clutter = (
        Stroke((30.0, 30.5), (40.0, 30.5), 1.0, (1.0, 1.0, 1.0)),
        Blob((60, 60), 2.0, (0, 1, 0)),
    )
    occluder = Occluder((2, 40, 8, 60), (0.5, 0.5, 0.5))
    pixels = render(
        hand_scene(Nuisances(background=(0, 0, 0), clutter=clutter, occluders=(occluder,)))
    )
    np.testing.assert_allclose(pixels[64 - 31, 31:39], 1.0)  # row-from-bottom 30: centre y 30.5
    np.testing.assert_allclose(pixels[64 - 60, 60], (0, 1, 0))
    np.testing.assert_allclose(_region(pixels, occluder.box), 0.5)


def test_nuisances_grow_with_difficulty() -> None:
    def change(difficulty: float) -> float:
        generator = SceneGenerator(6, difficulty=difficulty)
        total = 0.0
        for i in range(10):
            scene = generator.scene(i)
            plain = replace(scene, nuisances=Nuisances(background=scene.nuisances.background))
            total += float(np.abs(render(scene) - render(plain)).mean())
        return total

    easy, medium, hard = change(0.0), change(0.5), change(1.0)
    assert easy < 0.3 * medium and medium < hard


@settings(max_examples=60, deadline=None)
@given(
    st.floats(-10, 74),
    st.floats(-10, 74),
    st.floats(-15, 15),
    st.floats(-15, 15),
    st.floats(0.5, 3.0),
    st.booleans(),
)
def test_clutter_drawn_in_its_window_equals_full_image(
    x: float, y: float, dx: float, dy: float, width: float, blob: bool
) -> None:
    from fmpc.worlds.render import _clutter_coverage, _clutter_window

    item: Stroke | Blob = (
        Blob((x, y), width, (1, 1, 1))
        if blob
        else Stroke((x, y), (x + dx, y + dy), width, (1, 1, 1))
    )
    window = _clutter_window(item, 64)
    windowed = np.zeros((64, 64), dtype=np.float32)
    windowed[window] = _clutter_coverage(item, window, 64)
    full = _clutter_coverage(item, (slice(0, 64), slice(0, 64)), 64)
    np.testing.assert_array_equal(windowed, full)
