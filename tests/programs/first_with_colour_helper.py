# ruff: noqa
# Tests: a helper taking a list[ImagePatch] with a loop and an early return, called twice.
# Question: what is the first blue object and the first white one?
def first_with(patches: list[ImagePatch], colour: str) -> str:
    for p in patches:
        if p.verify_property("object", colour):
            return p.simple_query("What is this?")
    return "none"


def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    objects = image_patch.find("object")
    return first_with(objects, "blue") + "/" + first_with(objects, "white")
