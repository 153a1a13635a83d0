# ruff: noqa
# Tests: helper functions (one calling another) called from execute_command, a helper with two
# returns, a call of a helper at two places (two call sites each).
# Question: describe the first and the last object.
def is_red(patch: ImagePatch) -> bool:
    return patch.verify_property("object", "red")


def describe(patch: ImagePatch) -> str:
    name = patch.simple_query("What is this?")
    if is_red(patch):
        return "red " + name
    return name


def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    objects = image_patch.find("object")
    if len(objects) == 0:
        return "nothing"
    return describe(objects[0]) + " and " + describe(objects[-1])
