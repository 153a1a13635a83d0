"""The zoo's host-side preprocessing (fmpc.zoo.serving)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fmpc.zoo.serving import channel_medians

PIXELS = arrays(
    np.float32,
    st.tuples(st.integers(1, 40), st.integers(1, 40), st.just(3)),
    elements=st.floats(0.0, 1.0, width=32) | st.sampled_from([0.25, 0.5, float("nan")]),
)


@settings(max_examples=200, deadline=None)
@given(PIXELS)
def test_channel_medians_are_numpys_medians_bit_for_bit(pixels: np.ndarray) -> None:
    expected = np.median(pixels.reshape(-1, 3), axis=0)
    got = channel_medians(pixels)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert got.tobytes() == expected.tobytes()


def test_channel_medians_of_even_and_odd_counts() -> None:
    odd = np.arange(9, dtype=np.float32).reshape(3, 1, 3)  # channels 0,3,6 / 1,4,7 / 2,5,8
    assert channel_medians(odd).tolist() == [3.0, 4.0, 5.0]
    even = np.arange(6, dtype=np.float32).reshape(2, 1, 3)  # 0,3 / 1,4 / 2,5
    assert channel_medians(even).tolist() == [1.5, 2.5, 3.5]
