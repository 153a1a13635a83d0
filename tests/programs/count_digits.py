# ruff: noqa
# Tests: len of a find result, an Int answer.
# Question: how many digits are there?
def execute_command(image) -> int:
    image_patch = ImagePatch(image)
    digits = image_patch.find("digit")
    return len(digits)
