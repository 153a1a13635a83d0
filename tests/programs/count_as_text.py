# ruff: noqa
# Tests: coerce_to_numeric, str() of Int and Float, float(), len of a string.
# Question: twice the number of digits, as text.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    count = image_patch.simple_query("How many digits are there?")
    n = coerce_to_numeric(count)
    doubled = n * 2
    return str(int(doubled)) + " / " + str(doubled) + " / " + str(float(len(count)))
