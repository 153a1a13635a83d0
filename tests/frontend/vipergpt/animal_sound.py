# Question: What sound does the animal make?
# Idioms: a name from simple_query, then patch.llm_query(f"...", long_answer=False).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    animal_patches = image_patch.find("animal")
    if not animal_patches:
        return image_patch.llm_query("What is the opposite of left?", long_answer=False)
    animal_patch = animal_patches[0]
    animal_name = animal_patch.simple_query("What animal is this?")
    return animal_patch.llm_query(f"What sound does a {animal_name} make?", long_answer=False)
