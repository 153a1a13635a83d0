# ruff: noqa
# Tests: ImagePatch method style, find, a for loop with an early return, verify_property.
# Question: is there a red 7?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    sevens = image_patch.find("7")
    for seven in sevens:
        if seven.verify_property("7", "red"):
            return "yes"
    return "no"
