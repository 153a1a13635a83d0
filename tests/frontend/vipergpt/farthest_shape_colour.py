# Question: What color is the shape furthest away?
# Idioms: xs.sort(key=lambda s: s.compute_depth()) and xs[-1] (ViperGPT's "bar furthest away").
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    shape_patches = image_patch.find("shape")
    if len(shape_patches) == 0:
        return "no shapes"
    shape_patches.sort(key=lambda shape: shape.compute_depth())
    farthest = shape_patches[-1]
    return farthest.simple_query("What color is it?")
