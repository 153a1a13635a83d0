# ruff: noqa
# Tests: `and` guarding all() of a generator whose condition is an `or` of two calls (each
# short-circuits), a Bool answer.
# Question: are there shapes, all of them red or medium-sized?
def execute_command(image) -> bool:
    image_patch = ImagePatch(image)
    shapes = image_patch.find("shape")
    return len(shapes) > 0 and all(
        s.verify_property("shape", "red") or s.verify_property("shape", "medium") for s in shapes
    )
