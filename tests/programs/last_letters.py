# ruff: noqa
# Tests: negative indexing of strings, `not` of a string, endswith, str() of a Bool.
# Question: spell the animals' last letters; does that not end in "g"?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    names = [o.simple_query("What is this?") for o in image_patch.find("animal")]
    tails = "".join([n[-1] for n in names])
    if not tails:
        return "no animals"
    return tails + str(not tails.endswith("g"))
