# ruff: noqa
# Tests: `or` / `and` returning a non-bool operand (Str and Int), a variable rebound in a loop.
# Question: what colour is the last animal?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    colour = ""
    for obj in image_patch.find("animal"):
        colour = obj.simple_query("What color is this?")
    detail = colour or "colourless"
    prefix = colour and colour + " "
    n = len(image_patch.find("digit")) or -1
    return f"{prefix}animal: {detail} ({n})"
