def execute_command(image):
    for car in find(image, "car"):
        last = car
    return last.simple_query("what colour is it?")
