# ruff: noqa
# Tests: best_text_match (method style) with a list literal of options, index -1.
# Question: is the rightmost animal a dog, a cat or a bird?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    animals = image_patch.find("animal")
    if not animals:
        return "none"
    return animals[-1].best_text_match(["dog", "cat", "bird"])
