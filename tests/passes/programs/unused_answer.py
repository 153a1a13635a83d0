# ruff: noqa
# Asks a question whose answer is never used (dce).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    size = image_patch.simple_query("How many digits are there?")
    digits = image_patch.find("digit")
    return str(len(digits))
