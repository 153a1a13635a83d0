# ruff: noqa
# Tests: best_image_match over the found patches, then a query on the chosen patch.
# Question: what is the object that looks most striped (or red)?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    objects = image_patch.find("object")
    if len(objects) == 0:
        return "nothing"
    best = best_image_match(objects, ["striped", "red"])
    return best.simple_query("What is this?")
