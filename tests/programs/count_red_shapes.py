# ruff: noqa
# Tests: list comprehension with a filter calling verify_property, len.
# Question: how many red shapes are there?
def execute_command(image) -> int:
    image_patch = ImagePatch(image)
    shapes = image_patch.find("shape")
    red_shapes = [s for s in shapes if s.verify_property("shape", "red")]
    return len(red_shapes)
