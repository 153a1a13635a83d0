# Question: What are the objects, from left to right?
# Idioms: (the embedded world) simple_query() in a comprehension, " ".join.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    objects = image_patch.find("object")
    objects.sort(key=lambda o: o.horizontal_center)
    names = [o.simple_query() for o in objects]
    return " ".join(names)
