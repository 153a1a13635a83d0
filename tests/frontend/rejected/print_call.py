def execute_command(image):
    cars = find(image, "car")
    print(len(cars))
    return len(cars)
