# Question: Are there both a cat and a dog in the photo?
# Idioms: exists and bool_to_yesno (ViperGPT's "both foos and garply bars").
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    is_cat = image_patch.exists("cat")
    is_dog = image_patch.exists("dog")
    return bool_to_yesno(is_cat and is_dog)
