# Question: Is the sleeping animal to the left of the running one?
# Idioms: a helper that can fall off its end (returns None), `x is None or y is None` then the
# values used as patches.
def first_with(patches, word):
    for patch in patches:
        if patch.verify_property("animal", word):
            return patch


def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    animals = image_patch.find("animal")
    sleeper = first_with(animals, "sleeping")
    runner = first_with(animals, "running")
    if sleeper is None or runner is None:
        return "not both"
    if sleeper.horizontal_center < runner.horizontal_center:
        return "the sleeper is left of the runner"
    return "the runner is left of the sleeper"
