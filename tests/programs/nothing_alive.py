# ruff: noqa
# Tests: `not`, `and` of two negations, a Bool answer.
# Question: is the image free of digits and animals?
def execute_command(image) -> bool:
    image_patch = ImagePatch(image)
    return not image_patch.exists("digit") and not image_patch.exists("animal")
