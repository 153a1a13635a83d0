# ruff: noqa
# The same existence checks in several conditions (cse merges the repeated ones).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    if image_patch.exists("cat") and image_patch.exists("dog"):
        return "both"
    if image_patch.exists("cat"):
        return "cat"
    if image_patch.exists("dog"):
        return "dog"
    return "none"
