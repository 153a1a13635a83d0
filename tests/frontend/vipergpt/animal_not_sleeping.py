# Question: Which animal is not sleeping?
# Idioms: a return inside a loop and an annotated function that can fall off its end
# (ViperGPT's "which kind of baz is not fredding"): the answer is str | None.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    animal_patches = image_patch.find("animal")
    for animal_patch in animal_patches:
        if not animal_patch.verify_property("animal", "sleeping"):
            return animal_patch.simple_query("What animal is this?")
