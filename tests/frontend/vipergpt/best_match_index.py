# Question: Counting from the left, which animal is running (or else the first animal)?
# Idioms: best_image_match(..., return_index=True) gives a position, xs.sort, str.format.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    animal_patches = image_patch.find("animal")
    if not animal_patches:
        return "nobody"
    animal_patches.sort(key=lambda p: p.horizontal_center)
    index = best_image_match(animal_patches, ["running", "animal"], return_index=True)
    return "animal {} from the left".format(index + 1)
