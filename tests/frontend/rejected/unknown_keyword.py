def execute_command(image):
    return find(image, name="car")
