"""The embedded world: scenes of handwritten digits and shapes, their generator and renderer,
and perfect-perception backends that answer every generic function from the scene graph.

See docs/world.md for the colours, sizes, nuisances, difficulty and vocabulary.

Names are imported on first access, so importing one module of the world (its vocabulary,
its question parser) does not load the glyph data or the generator.
"""

from __future__ import annotations

from fmpc._lazy import lazy_exports

_EXPORTS = {
    "DEFAULT_MIX": "fmpc.worlds.generator",
    "GenerationError": "fmpc.worlds.generator",
    "ObjectSpec": "fmpc.worlds.generator",
    "SceneGenerator": "fmpc.worlds.generator",
    "POOLS": "fmpc.worlds.glyphs",
    "GlyphPool": "fmpc.worlds.glyphs",
    "glyph_pool": "fmpc.worlds.glyphs",
    "upscale": "fmpc.worlds.glyphs",
    "DEFAULT_PROFILE": "fmpc.worlds.nuisances",
    "NuisanceProfile": "fmpc.worlds.nuisances",
    "Ramp": "fmpc.worlds.nuisances",
    "NUMBER_QUESTION_TEMPLATES": "fmpc.worlds.numbers",
    "NumberQuestion": "fmpc.worlds.numbers",
    "parse_number_question": "fmpc.worlds.numbers",
    "NoSceneGraph": "fmpc.worlds.perception",
    "check_literal": "fmpc.worlds.perception",
    "has_property": "fmpc.worlds.perception",
    "matches_name": "fmpc.worlds.perception",
    "perfect_backends": "fmpc.worlds.perception",
    "unrendered_image": "fmpc.worlds.perception",
    "ANSWERS": "fmpc.worlds.questions",
    "QUESTION_TEMPLATES": "fmpc.worlds.questions",
    "PatchQuestion": "fmpc.worlds.questions",
    "parse_question": "fmpc.worlds.questions",
    "render": "fmpc.worlds.render",
    "LEVELS": "fmpc.worlds.scene",
    "Blob": "fmpc.worlds.scene",
    "Nuisances": "fmpc.worlds.scene",
    "Occluder": "fmpc.worlds.scene",
    "Scene": "fmpc.worlds.scene",
    "SceneObject": "fmpc.worlds.scene",
    "Stroke": "fmpc.worlds.scene",
    "level_of": "fmpc.worlds.scene",
    "CATEGORIES": "fmpc.worlds.vocabulary",
    "COLORS": "fmpc.worlds.vocabulary",
    "DIGITS": "fmpc.worlds.vocabulary",
    "LOOKALIKES": "fmpc.worlds.vocabulary",
    "NAMES": "fmpc.worlds.vocabulary",
    "PROPERTIES": "fmpc.worlds.vocabulary",
    "SHAPES": "fmpc.worlds.vocabulary",
    "SIZE_RANGES": "fmpc.worlds.vocabulary",
    "SIZES": "fmpc.worlds.vocabulary",
    "UnknownVocabulary": "fmpc.worlds.vocabulary",
    "canonical_name": "fmpc.worlds.vocabulary",
    "canonical_property": "fmpc.worlds.vocabulary",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
