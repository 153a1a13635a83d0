# ruff: noqa
# Tests: sorted of strings without a key, with reverse=True, max with a key lambda using len
# (ties keep the first), a conditional expression over a concatenation.
# Question: the objects' names in alphabetical order, the last one, and the longest.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    names = [o.simple_query("What is this?") for o in image_patch.find("object")]
    alpha = sorted(names)
    backwards = sorted(names, reverse=True)
    longest = max(names, key=lambda n: len(n)) if names else ""
    return ",".join(alpha) + "|" + backwards[0] + "|" + longest if names else "empty"
