# Question: Are there more digits in the left half of the image or in the right half?
# Idioms: ImagePatch(image, left, lower, right, upper) as a crop, integer division.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    half = image_patch.width // 2
    left_half = ImagePatch(image, 0, 0, half, image_patch.height)
    right_half = ImagePatch(image, half, 0, image_patch.width, image_patch.height)
    left_count = len(left_half.find("digit"))
    right_count = len(right_half.find("digit"))
    if left_count > right_count:
        return "left"
    if right_count > left_count:
        return "right"
    return "same"
