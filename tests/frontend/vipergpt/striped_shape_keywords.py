# Question: What is the striped shape, and is it red?
# Idioms: ViperGPT's keyword names: find(object_name=...), best_image_match(list_patches=...,
# content=...), verify_property(object_name=..., visual_property=...).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    shape_patches = image_patch.find(object_name="shape")
    if not shape_patches:
        return "no shape"
    striped = best_image_match(list_patches=shape_patches, content=["striped", "shape"])
    is_red = striped.verify_property(object_name="shape", visual_property="red")
    return striped.simple_query("What shape is this?") + (" red" if is_red else " not red")
