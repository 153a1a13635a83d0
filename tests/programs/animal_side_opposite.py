# ruff: noqa
# Tests: llm_query with a concatenated prompt, a conditional expression on centres.
# Question: on which side is the rightmost animal, and what is the other side?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    animals = image_patch.find("animal")
    if not animals:
        return "no animal"
    animal = animals[-1]
    name = animal.simple_query("What animal is this?")
    side = "left" if animal.horizontal_center < image_patch.horizontal_center else "right"
    other = llm_query("What is the opposite of " + side + "?")
    return f"the {name} is on the {side}, not the {other}"
