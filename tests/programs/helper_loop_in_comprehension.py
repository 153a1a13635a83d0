# ruff: noqa
# Tests: a helper with a loop and an early return, called inside a comprehension; `in` on
# strings; a list[str] parameter.
# Question: abbreviate each object's colour by the first known fragment it contains.
def first_fragment(text: str, fragments: list[str]) -> str:
    for fragment in fragments:
        if fragment in text:
            return fragment
    return "?"


def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    colours = [o.simple_query("What color is this?") for o in image_patch.find("object")]
    found = [first_fragment(c, ["re", "bl", "ye", "wh"]) for c in colours]
    return "".join(found)
