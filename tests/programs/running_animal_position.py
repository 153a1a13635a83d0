# ruff: noqa
# Tests: best_image_match(..., return_index=True) (fmpc.lib index_of), xs.sort(key=...) on a
# local list, simple_query() without a question.
# Question: counting from the left, which animal is running (else the first animal), and what is it?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    animals = image_patch.find("animal")
    if not animals:
        return "no animals"
    animals.sort(key=lambda a: a.horizontal_center)
    position = best_image_match(animals, ["running", "animal"], return_index=True)
    return f"{position}: {animals[position].simple_query()}"
