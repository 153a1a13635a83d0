# ruff: noqa
# Tests: max() with a key lambda calling compute_depth (one call per object).
# Question: what is the farthest object?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    objects = image_patch.find("object")
    farthest = max(objects, key=lambda o: o.compute_depth())
    return farthest.simple_query("What is this?")
