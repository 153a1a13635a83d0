# ruff: noqa
# Computes every answer up front, then picks one (early-exit sinks each into its branch).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    cats = image_patch.simple_query("How many cats are there?")
    dogs = image_patch.simple_query("How many dogs are there?")
    has_cat = image_patch.exists("cat")
    if has_cat:
        return cats
    if image_patch.exists("dog"):
        return dogs
    return "none"
