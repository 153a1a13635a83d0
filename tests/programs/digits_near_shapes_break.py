# ruff: noqa
# Tests: nested loops where the inner one breaks (only the inner loop ends), a find inside the
# outer loop (one call site run once per digit), overlaps_with with an enlarged box.
# Question: how many digits have a shape within 20 pixels?
def execute_command(image) -> int:
    image_patch = ImagePatch(image)
    pairs = 0
    for d in image_patch.find("digit"):
        for s in image_patch.find("shape"):
            if d.overlaps_with(s.left - 20, s.lower - 20, s.right + 20, s.upper + 20):
                pairs += 1
                break
    return pairs
