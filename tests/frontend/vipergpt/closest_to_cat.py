# Question: What is closest to the cat?
# Idioms: distance(patch, patch) as a sort key (ViperGPT's "qux closest to the foo"),
# a comprehension filtering on an answer, simple_query() without a question.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    object_patches = image_patch.find("object")
    cat_patches = image_patch.find("cat")
    if not cat_patches:
        return "no cat"
    cat_patch = cat_patches[0]
    others = [p for p in object_patches if p.simple_query("What is this?") != "cat"]
    others.sort(key=lambda x: distance(x, cat_patch))
    return others[0].simple_query()
