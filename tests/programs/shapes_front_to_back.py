# ruff: noqa
# Tests: sorted by a key that calls compute_depth, a comprehension over the sorted list, join.
# Question: list the shapes' colours from front to back.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    shapes = image_patch.find("shape")
    ordered = sorted(shapes, key=lambda s: s.compute_depth())
    return " < ".join([s.simple_query("What color is this?") for s in ordered])
