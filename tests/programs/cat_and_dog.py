# ruff: noqa
# Tests: `and` / `or` short-circuit in if conditions (skipped calls are not executed).
# Question: are there both a cat and a dog, one of them, or neither?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    if image_patch.exists("cat") and image_patch.exists("dog"):
        return "both"
    if image_patch.exists("cat") or image_patch.exists("dog"):
        return "one"
    return "neither"
