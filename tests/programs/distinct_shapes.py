# ruff: noqa
# Tests: `not in` a list being built, append in a loop, `in` on a string, str() of a Bool.
# Question: how many shapes, how many distinct kinds, and does a kind name contain a "t"?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    answer = image_patch.simple_query("How many shapes are there?")
    kinds = []
    for s in image_patch.find("shape"):
        name = s.simple_query("What is this?")
        if name not in kinds:
            kinds.append(name)
    has_t = "t" in "".join(kinds)
    return answer + " " + str(len(kinds)) + " " + str(has_t)
