def execute_command(image):
    cars = find(image, "car")
    for i in range(len(cars)):
        pass
    return 0
