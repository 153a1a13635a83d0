"""The embedded world: scenes of handwritten digits and shapes, their generator and renderer,
and perfect-perception backends that answer every generic function from the scene graph.

See docs/world.md for the colours, sizes, nuisances, difficulty and vocabulary.
"""

from fmpc.worlds.generator import DEFAULT_MIX, GenerationError, ObjectSpec, SceneGenerator
from fmpc.worlds.glyphs import POOLS, GlyphPool, glyph_pool, upscale
from fmpc.worlds.nuisances import DEFAULT_PROFILE, NuisanceProfile, Ramp
from fmpc.worlds.numbers import NUMBER_QUESTION_TEMPLATES, NumberQuestion, parse_number_question
from fmpc.worlds.perception import (
    NoSceneGraph,
    check_literal,
    has_property,
    matches_name,
    perfect_backends,
    unrendered_image,
)
from fmpc.worlds.questions import ANSWERS, QUESTION_TEMPLATES, PatchQuestion, parse_question
from fmpc.worlds.render import render
from fmpc.worlds.scene import (
    LEVELS,
    Blob,
    Nuisances,
    Occluder,
    Scene,
    SceneObject,
    Stroke,
    level_of,
)
from fmpc.worlds.vocabulary import (
    CATEGORIES,
    COLORS,
    DIGITS,
    LOOKALIKES,
    NAMES,
    PROPERTIES,
    SHAPES,
    SIZE_RANGES,
    SIZES,
    RelationPhrase,
    UnknownVocabulary,
    canonical_name,
    canonical_property,
)

__all__ = [
    "ANSWERS",
    "CATEGORIES",
    "COLORS",
    "DEFAULT_MIX",
    "DEFAULT_PROFILE",
    "DIGITS",
    "LEVELS",
    "LOOKALIKES",
    "NAMES",
    "NUMBER_QUESTION_TEMPLATES",
    "POOLS",
    "PROPERTIES",
    "QUESTION_TEMPLATES",
    "SHAPES",
    "SIZES",
    "SIZE_RANGES",
    "Blob",
    "GenerationError",
    "GlyphPool",
    "NoSceneGraph",
    "NuisanceProfile",
    "Nuisances",
    "NumberQuestion",
    "ObjectSpec",
    "Occluder",
    "PatchQuestion",
    "Ramp",
    "Scene",
    "SceneGenerator",
    "SceneObject",
    "Stroke",
    "RelationPhrase",
    "UnknownVocabulary",
    "canonical_name",
    "canonical_property",
    "check_literal",
    "glyph_pool",
    "has_property",
    "level_of",
    "matches_name",
    "parse_number_question",
    "parse_question",
    "perfect_backends",
    "render",
    "unrendered_image",
    "upscale",
]
