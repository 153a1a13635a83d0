# ruff: noqa
# Tests: sorted with key lambda and reverse=True, `not` on a list, string concatenation.
# Question: which shape reaches furthest right, and what colour is it?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    shapes = image_patch.find("shape")
    ordered = sorted(shapes, key=lambda s: s.right, reverse=True)
    if not ordered:
        return "no shapes"
    first = ordered[0]
    return first.simple_query("What shape is this?") + " " + first.simple_query("What color is it?")
