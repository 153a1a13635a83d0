# ruff: noqa
# Tests: sorted with reverse=True is stable (equal depths keep their left-to-right order).
# Question: list the objects from back to front.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    objects = image_patch.find("object")
    by_depth = sorted(objects, key=lambda o: o.compute_depth(), reverse=True)
    return ",".join([o.simple_query("What is this?") for o in by_depth])
