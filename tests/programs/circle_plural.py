# ruff: noqa
# Tests: conditional expressions (one with a call in a branch: it runs only when chosen).
# Question: how many circles are there, and how big is the first?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    circles = image_patch.find("circle")
    n = len(circles)
    word = "circle" if n == 1 else "circles"
    size = circles[0].simple_query("What size is this?") if n > 0 else "no"
    return f"{n} {word}, first is {size}"
