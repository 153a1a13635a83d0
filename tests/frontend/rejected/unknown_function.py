def execute_command(image):
    cars = find_all(image, "car")
    return exist(image, "truck")
