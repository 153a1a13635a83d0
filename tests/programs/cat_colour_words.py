# ruff: noqa
# Tests: string methods strip, lower, startswith, endswith, upper and `in` on strings; a
# variable assigned in every branch of an if/elif/else and used after it.
# Question: what kind of colour is the cat?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    if not image_patch.exists("cat"):
        return "NO CAT"
    answer = "  " + image_patch.simple_query("What color is the cat?") + "  "
    colour = answer.strip().lower()
    if colour.startswith("or"):
        kind = "orange-ish"
    elif colour.endswith("te"):
        kind = "white-ish"
    elif "l" in colour:
        kind = "has l"
    else:
        kind = "other"
    return kind.upper()
