# ruff: noqa
# Asks first, checks later (early-exit: the question is only asked when there is a cat).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    cats = image_patch.simple_query("How many cats are there?")
    if not image_patch.exists("cat"):
        return "no cat"
    return cats
