def execute_command(image):
    cars = find(image, "car")
    first, second = cars[0], cars[1]
    return first.left < second.left
