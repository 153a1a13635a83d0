# ruff: noqa
# Tests: list concatenation with + of three find results.
# Question: what colours are the cat, the dog and the bird?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    things = image_patch.find("cat") + image_patch.find("dog") + image_patch.find("bird")
    return ",".join([t.simple_query("What color is this?") for t in things])
