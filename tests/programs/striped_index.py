# ruff: noqa
# Tests: enumerate with break and a carried Int set inside the loop, a negative constant.
# Question: at which position is the first striped object?
def execute_command(image) -> int:
    image_patch = ImagePatch(image)
    position = -1
    for i, obj in enumerate(image_patch.find("object")):
        if obj.verify_property("object", "striped"):
            position = i
            break
    return position
