def execute_command(image):
    cars = find(image, "car")
    del cars
    return 0
