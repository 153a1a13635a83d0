# Question: What color is the leftmost circle?
# Idioms: best_text_match(option_list=..., prefix=...): the options are matched as
# "a red", "a green", ... and the option itself comes back.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    circle_patches = image_patch.find("circle")
    if len(circle_patches) == 0:
        return "no circle"
    circle_patches.sort(key=lambda c: c.left)
    return circle_patches[0].best_text_match(option_list=["red", "green", "blue"], prefix="a")
