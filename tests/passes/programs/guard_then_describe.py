# ruff: noqa
# Describes the leftmost digit, but only when there is one (the query waits for the check).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    digits = image_patch.find("digit")
    cats = image_patch.simple_query("How many cats are there?")
    if len(digits) == 0:
        return "no digits"
    if not image_patch.exists("cat"):
        return "no cat"
    return cats + " " + str(len(digits))
