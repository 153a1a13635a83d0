def execute_command(image):
    area = lambda p: p.width * p.height
    cars = find(image, "car")
    return area(cars[0])
