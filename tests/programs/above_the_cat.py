# ruff: noqa
# Tests: crop built from another patch's box attributes (left, upper, right), find on the crop.
# Question: what is above the cat?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    cats = image_patch.find("cat")
    if len(cats) == 0:
        return "no cat"
    cat = cats[0]
    above = image_patch.crop(cat.left, cat.upper, cat.right, image_patch.height)
    things = above.find("object")
    if len(things) == 0:
        return "nothing above the cat"
    return things[0].simple_query("What is this?") + " above the cat"
