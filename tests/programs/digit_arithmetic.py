# ruff: noqa
# Tests: arithmetic + - * // % / and unary minus on Ints, true division giving a Float.
# Question: some statistics of the digits.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    digits = image_patch.find("digit")
    values = [int(d.simple_query("What digit is this?")) for d in digits]
    total = sum(values)
    n = len(values)
    return f"{total + n} {total - n} {total * 2} {total // 3} {total % 3} {total / 4} {-n}"
