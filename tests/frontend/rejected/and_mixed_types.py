def execute_command(image):
    cars = find(image, "car")
    return cars and "yes"
