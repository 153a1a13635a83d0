# ruff: noqa
# Tests: indexing a string ([0]) then upper() inside a comprehension, join with "".
# Question: the initials of the objects from left to right.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    letters = [o.simple_query("What is this?")[0].upper() for o in image_patch.find("object")]
    return "".join(letters)
