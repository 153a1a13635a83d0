# ruff: noqa
# Tests: a list literal of crops, a list literal of names indexed by enumerate's index, exists on
# each crop, `or` on a joined string.
# Question: in which quadrants are there 7s?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    w = image_patch.width
    h = image_patch.height
    quadrants = [
        image_patch.crop(0, h // 2, w // 2, h),
        image_patch.crop(w // 2, h // 2, w, h),
        image_patch.crop(0, 0, w // 2, h // 2),
        image_patch.crop(w // 2, 0, w, h // 2),
    ]
    names = ["top-left", "top-right", "bottom-left", "bottom-right"]
    result = []
    for i, q in enumerate(quadrants):
        if q.exists("7"):
            result.append(names[i])
    return ",".join(result) or "nowhere"
