def execute_command(image):
    cars = find(image, "car")
    assert len(cars) > 0
    return cars[0].simple_query("what colour is it?")
