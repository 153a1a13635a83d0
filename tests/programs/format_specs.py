# ruff: noqa
# Tests: f-string format specs (:03d, :.2f, :>6, :.1%), min() without key, a conditional
# expression choosing a call.
# Question: a formatted report of the scene.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    objects = image_patch.find("object")
    depths = [o.compute_depth() for o in objects]
    closest = min(depths) if depths else 0.0
    n = len(objects)
    label = objects[0].simple_query("What is this?") if objects else "none"
    return f"{n:03d}|{closest:.2f}|{label:>6}|{n / 8:.1%}"
