"""The glyph pools: disjoint, complete, deterministic, read-only; bilinear upscaling."""

import numpy as np
import pytest

from fmpc.worlds.glyphs import POOLS, glyph_pool, upscale


def test_pools_are_disjoint_and_cover_the_data_set() -> None:
    ids = [set(glyph_pool(name).sample_ids.tolist()) for name in POOLS]
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            assert not ids[a] & ids[b], (POOLS[a], POOLS[b])
    assert set().union(*ids) == set(range(1797))


def test_every_pool_has_every_digit_in_proportion() -> None:
    sizes = {name: len(glyph_pool(name)) for name in POOLS}
    assert sizes["train"] > sizes["bench"] > sizes["val"] > 0
    for name in POOLS:
        pool = glyph_pool(name)
        for digit, members in enumerate(pool.by_digit):
            assert len(members) > 20
            assert (pool.digits[members] == digit).all()


def test_pool_arrays_are_read_only_and_normalised() -> None:
    pool = glyph_pool("bench")
    assert pool.images.dtype == np.float32
    assert pool.images.min() == 0.0 and pool.images.max() == 1.0
    for array in (pool.images, pool.digits, pool.sample_ids, pool.by_digit[3]):
        with pytest.raises(ValueError):
            array[0] = 0


def test_pools_follow_the_data_set_labels() -> None:
    from sklearn.datasets import load_digits

    data = load_digits()
    pool = glyph_pool("val")
    assert (pool.digits == data.target[pool.sample_ids]).all()
    np.testing.assert_allclose(pool.images, data.images[pool.sample_ids] / 16.0)


def test_unknown_pool_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown glyph pool 'test'.*train, val, bench"):
        glyph_pool("test")


def test_upscale_is_bilinear() -> None:
    glyph = glyph_pool("train").images[5]
    big = upscale(glyph, 20, 16)
    assert big.shape == (20, 16)
    assert glyph.min() <= big.min() and big.max() <= glyph.max()
    np.testing.assert_allclose(upscale(glyph, 8, 8), glyph, atol=1e-6)
    constant = np.full((8, 8), 0.25, dtype=np.float32)
    np.testing.assert_allclose(upscale(constant, 13, 13), 0.25, atol=1e-6)
    # smooth: neighbouring pixels differ less than the glyph's own neighbours do
    assert np.abs(np.diff(big, axis=1)).max() < np.abs(np.diff(glyph, axis=1)).max()
