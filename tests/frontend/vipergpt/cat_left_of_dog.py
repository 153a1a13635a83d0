# Question: Is the cat to the left of the dog?
# Idioms: two finds, a relation answered by comparing horizontal centres.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    cat_patches = image_patch.find("cat")
    dog_patches = image_patch.find("dog")
    if not cat_patches or not dog_patches:
        return "no"
    cat_patch = cat_patches[0]
    dog_patch = dog_patches[0]
    return bool_to_yesno(cat_patch.horizontal_center < dog_patch.horizontal_center)
