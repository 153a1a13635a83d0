def execute_command(image):
    patch = ImagePatch(image)
    cars = patch.find("car")
    return cars[0].colour
