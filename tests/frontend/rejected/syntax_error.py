def execute_command(image):
    cars = find(image, "car"
    return len(cars)
