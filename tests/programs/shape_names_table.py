# ruff: noqa
# Tests: list literals of Ints and Strs indexed by a computed Int, a guard with len.
# Question: say the number of shapes in words.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    sides = [0, 0, 0, 3, 4]
    names = ["none", "one", "two", "three", "four"]
    n = len(image_patch.find("shape"))
    if n >= len(names):
        return "lots"
    return names[n] + " " + str(sides[n])
