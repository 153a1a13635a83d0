# Question: What is the animal furthest to the right?
# Idioms: xs.sort(key=lambda ..., reverse=True) on a local list, simple_query() without a question.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    animal_patches = image_patch.find("animal")
    if len(animal_patches) == 0:
        return "no animal"
    animal_patches.sort(key=lambda x: x.horizontal_center, reverse=True)
    return animal_patches[0].simple_query()
