# ruff: noqa
# Tests: compute_depth on two patches compared with <, `or` of `not`s guarding indexing.
# Question: is the cat or the dog closer to the camera?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    cats = image_patch.find("cat")
    dogs = image_patch.find("dog")
    if not cats or not dogs:
        return "cannot tell"
    if cats[0].compute_depth() < dogs[0].compute_depth():
        return "the cat is closer"
    return "the dog is closer"
