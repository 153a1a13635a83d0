# ruff: noqa
# Tests: min() with a key lambda using distance, a comprehension filtering on a query answer,
# `not` on a list.
# Question: what is the object nearest to the cat?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    cats = image_patch.find("cat")
    if not cats:
        return "no cat"
    cat = cats[0]
    others = image_patch.find("object")
    others = [o for o in others if o.simple_query("What is this?") != "cat"]
    nearest = min(others, key=lambda o: distance(cat, o))
    return nearest.simple_query("What is this?")
