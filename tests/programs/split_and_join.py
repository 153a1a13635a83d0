# ruff: noqa
# Tests: split() without and with a separator, join, upper in a filtered comprehension, len.
# Question: a word game on a fixed sentence, then the number of shapes.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    text = "is this a striped thing"
    words = text.split()
    keep = [w.upper() for w in words if len(w) > 2]
    sentence = "-".join(keep)
    parts = sentence.split("-")
    count = image_patch.simple_query("How many shapes are there?")
    return parts[0] + ":" + str(len(parts)) + ":" + count
