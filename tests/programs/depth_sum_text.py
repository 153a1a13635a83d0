# ruff: noqa
# Tests: sum() of a List[Float] is a Float even when the list is empty (0.0, not 0), str() of it.
# Question: what is the total depth of the objects?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    depths = [o.compute_depth() for o in image_patch.find("object")]
    return "total depth " + str(sum(depths))
