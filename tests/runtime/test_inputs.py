"""Input files a hostile user might hand ``fmpc run``: every bad one fails its own input with a
message naming it, and the stream goes on (issue 16)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fmpc.frontend import compile_source
from fmpc.runtime.image_files import ImageFileError, printable, read_image
from fmpc.runtime.inputs import label_problem, open_inputs
from tests.files import png_header

YES_NO = "def execute_command(image):\n    return ImagePatch(image).exists('x')\n"
COUNT = "def execute_command(image) -> int:\n    return len(ImagePatch(image).find('x'))\n"
NAMES = "def execute_command(image):\n    return [p.simple_query('?') for p in find(image, 'x')]\n"


def save_png(path: Path, value: int = 30, size: int = 8) -> Path:
    Image.fromarray(np.full((size, size, 3), value, np.uint8)).save(path)
    return path


@pytest.mark.parametrize("side", [20000, 65535])
def test_a_decompression_bomb_fails_its_own_input_only(tmp_path: Path, side: int) -> None:
    save_png(tmp_path / "a.png")
    (tmp_path / "b_bomb.png").write_bytes(png_header(side, side))
    save_png(tmp_path / "c.png")
    items = list(open_inputs(tmp_path))
    assert [i.input_id for i in items] == ["a.png", "b_bomb.png", "c.png"]
    assert items[0].image is not None and items[2].image is not None
    bomb = items[1]
    assert bomb.image is None and bomb.error is not None
    assert bomb.error.startswith(f"{tmp_path / 'b_bomb.png'}: cannot read the image")
    assert "too large" in bomb.error


def test_the_pixel_limit_is_a_setting_checked_before_decoding(tmp_path: Path) -> None:
    save_png(tmp_path / "big.png", size=100)
    (tmp_path / "header_only.png").write_bytes(png_header(3000, 3000))
    items = {i.input_id: i for i in open_inputs(tmp_path, max_pixels=5000)}
    assert items["big.png"].error is not None
    assert "100 x 100 = 10000 pixels, more than the limit of 5000" in items["big.png"].error
    # the header alone says 9 megapixels: refused before any pixel data is read
    assert "3000 x 3000" in (items["header_only.png"].error or "")
    assert all(i.image is not None for i in open_inputs(tmp_path / "big.png", max_pixels=10_000))


def test_a_file_name_that_is_not_utf8_becomes_a_printable_id(tmp_path: Path) -> None:
    name = os.fsencode(tmp_path) + b"/caf\xe9.png"
    with open(name, "wb") as handle:
        handle.write(save_png(tmp_path / "tmp.png").read_bytes())
    (tmp_path / "tmp.png").unlink()
    (item,) = list(open_inputs(tmp_path))
    assert item.error is None and item.image is not None
    assert item.input_id == "caf\\xe9.png" == item.image.id
    item.input_id.encode("utf-8")  # what failed in a backend before
    assert printable("a\nb\u0007") == "a\\nb\\x07"
    assert printable("\ud800x") == "\\ud800x"


def test_a_16_bit_grayscale_png_reads_as_its_8_bit_twin(tmp_path: Path) -> None:
    gray16 = np.full((8, 8), round(0.122 * 65535), np.uint16)
    Image.fromarray(gray16).save(tmp_path / "g16.png")
    Image.fromarray((gray16 // 257).astype(np.uint8)).save(tmp_path / "g8.png")
    wide = read_image(tmp_path / "g16.png", "g16")
    narrow = read_image(tmp_path / "g8.png", "g8")
    assert wide.pixels.shape == narrow.pixels.shape == (8, 8, 3)
    assert abs(float(wide.pixels.mean()) - 0.122) < 1e-3
    assert np.allclose(wide.pixels, narrow.pixels, atol=1 / 255)


def test_a_dangling_symlink_is_reported_not_dropped(tmp_path: Path) -> None:
    save_png(tmp_path / "a.png")
    (tmp_path / "b.png").symlink_to(tmp_path / "gone.png")
    items = list(open_inputs(tmp_path))
    assert [i.input_id for i in items] == ["a.png", "b.png"]
    assert (
        items[1].error
        == f"{tmp_path / 'b.png'}: a symbolic link to {tmp_path / 'gone.png'}, which does not exist"
    )


@pytest.mark.parametrize(
    "content", [b"", b"\x89PNG\r\n\x1a\n", b"GIF89a....", b"\xff\xd8\xff\xe0 not really"]
)
def test_truncated_or_fake_images_raise_image_file_errors(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "x.png").write_bytes(content)
    with pytest.raises(ImageFileError):
        read_image(tmp_path / "x.png", "x")


def test_a_utf8_byte_order_mark_keeps_the_first_jsonl_line(tmp_path: Path) -> None:
    save_png(tmp_path / "a.png")
    lines = [json.dumps({"image": "a.png", "label": "yes", "id": f"n{i}"}) for i in range(2)]
    (tmp_path / "s.jsonl").write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode())
    items = list(open_inputs(tmp_path / "s.jsonl"))
    assert [(i.input_id, i.labelled, i.error) for i in items] == [
        ("n0", True, None),
        ("n1", True, None),
    ]


def test_ill_typed_labels_are_errors_of_their_line_and_null_is_no_label(tmp_path: Path) -> None:
    save_png(tmp_path / "a.png")
    labels = ["yes", [1], {"a": 1}, None, float("nan"), "maybe", True, 3]
    text = "\n".join(json.dumps({"image": "a.png", "label": label}) for label in labels)
    (tmp_path / "s.jsonl").write_text(text)
    module = compile_source(YES_NO)
    items = list(open_inputs(tmp_path / "s.jsonl", module=module))
    where = f"{tmp_path / 's.jsonl'}"
    assert [(i.labelled, i.error is None) for i in items] == [
        (True, True),
        (False, False),
        (False, False),
        (False, True),  # null: answered, not scored
        (False, False),
        (False, False),  # not a yes/no answer of a Bool program
        (True, True),
        (False, False),
    ]
    assert items[1].error == f"{where}:2: the label [1] does not fit the program's answers (Bool)"
    assert (
        items[2].error
        == f'{where}:3: the label {{"a": 1}} is an object, not a string, number or boolean'
    )
    assert (
        items[4].error
        == f"{where}:5: the label NaN is not a finite number, not a string, number or boolean"
    )


@pytest.mark.parametrize(
    ("label", "program", "fits"),
    [
        (3, COUNT, True),
        (2.5, COUNT, True),
        ("3", COUNT, False),
        (True, COUNT, False),
        (["a", "b"], NAMES, True),
        ([1], NAMES, False),
        ("a", NAMES, False),
        ("yes", YES_NO, True),
        (False, YES_NO, True),
    ],
)
def test_labels_must_fit_the_program_answer_type(label: object, program: str, fits: bool) -> None:
    result_type = compile_source(program).entry.attributes["result_type"]
    assert (label_problem(label, result_type) is None) is fits  # type: ignore[arg-type]


def test_bad_ids_and_paths_in_jsonl_are_errors_of_their_line(tmp_path: Path) -> None:
    save_png(tmp_path / "a.png")
    rows = [
        {"image": "a.png", "id": ["x"]},
        {"image": "a\u0000.png"},
        {"image": "a.png", "id": "caf\udce9"},
        {"image": "a.png", "id": 7},
    ]
    (tmp_path / "s.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n" + "[" * 100_000)
    items = list(open_inputs(tmp_path / "s.jsonl"))
    assert items[0].error is not None and '"id" must be a string or an integer' in items[0].error
    assert items[1].error is not None and "NUL" in items[1].error
    assert items[2].error is None and items[2].input_id == "caf\\xe9"
    assert items[3].input_id == "7"
    assert items[4].error is not None and items[4].image is None  # deep nesting: a line error
