"""A hand-built scene shared by the render and perception tests.

Layout (64x64, origin bottom-left, y up)::

    A: red large 7        box (2, 40, 22, 60)   centre (12, 50)
    B: blue small circle  box (30, 45, 41, 56)  centre (35.5, 50.5)
    C: green small 4      box (45, 5, 57, 17)   centre (51, 11)
    D: yellow large tri.  box (5, 2, 24, 21)    centre (14.5, 11.5)
"""

import pytest

from fmpc.semantics.values import ImageValue
from fmpc.worlds import Nuisances, Scene, SceneObject, glyph_pool, render


def hand_scene(nuisances: Nuisances | None = None) -> Scene:
    """The scene above, clean (black background, no nuisance) unless ``nuisances`` is given."""
    pool = glyph_pool("bench")
    objects = (
        SceneObject("digit", "7", "red", "large", (2, 40, 22, 60), int(pool.by_digit[7][0])),
        SceneObject("shape", "circle", "blue", "small", (30, 45, 41, 56)),
        SceneObject("digit", "4", "green", "small", (45, 5, 57, 17), int(pool.by_digit[4][0])),
        SceneObject("shape", "triangle", "yellow", "large", (5, 2, 24, 21)),
    )
    clean = Nuisances(background=(0.0, 0.0, 0.0))
    return Scene("hand-0", objects, 0.0, nuisances or clean, seed=0)


@pytest.fixture
def scene() -> Scene:
    return hand_scene()


@pytest.fixture
def image(scene: Scene) -> ImageValue:
    return ImageValue(render(scene), id=scene.id, scene=scene)
