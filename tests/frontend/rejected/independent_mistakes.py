def helper(patches):
    patches.sort(key=lambda p: p.lft)
    return patches[0]


def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    cars = image_patch.find(object_name="car", size="large")
    cars.sort(key=lambda c: c.horizontal_center, reversed=True)
    first = helper(cars, 2)
    total = len(cars) + "1"
    while total:
        print(undefined_name)
    label = undefined_name + "x"
    return first.simple_query(what="colour") + unknown(lambda x: x)
