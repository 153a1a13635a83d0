# Question: What color is the dog?
# Idioms: the question assumes one dog (patches[0]), an early return when there is none.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    dog_patches = image_patch.find("dog")
    if not dog_patches:
        return "no dog"
    # Question assumes only one dog patch
    dog_patch = dog_patches[0]
    return dog_patch.simple_query("What color is it?")
