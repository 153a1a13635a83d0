# Question: Which shape is the biggest, and how many pixels does it cover?
# Idioms: a patch attribute from a library file (area, a helper), as a sort key; "{:.0f}".format.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    shapes = image_patch.find("shape")
    if not shapes:
        return "no shapes"
    shapes.sort(key=lambda s: s.area, reverse=True)
    biggest = shapes[0]
    return "{} covers {:.0f} pixels".format(biggest.simple_query("What shape is this?"), biggest.area)
