# ruff: noqa
# Tests: a helper with returns in if/elif branches and a fall-through return, called inside a
# comprehension; sum of Ints; a comparison passed to bool_to_yesno.
# Question: are the shapes colourful enough (rank sum at least 5)?
def colour_rank(colour: str) -> int:
    if colour == "red":
        return 3
    elif colour == "green":
        return 2
    elif colour == "blue":
        return 1
    return 0


def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    shapes = image_patch.find("shape")
    ranks = [colour_rank(s.simple_query("What color is this?")) for s in shapes]
    return bool_to_yesno(sum(ranks) >= 5)
