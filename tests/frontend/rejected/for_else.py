def execute_command(image):
    for car in find(image, "car"):
        if car.exists("wheel"):
            break
    else:
        return "no"
    return "yes"
