# Question: Is there a triangle, and else which of circle, square or digit fits the image?
# Idioms: model_size= pins on exists and best_text_match.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    if image_patch.exists("triangle", model_size="small"):
        return "triangle"
    return image_patch.best_text_match(["circle", "square", "digit"], model_size="large")
