# ruff: noqa
# Tests: llm_query with a prompt built by an f-string from a query answer.
# Question: is the first digit odd?
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    digits = image_patch.find("digit")
    if not digits:
        return "no digit"
    value = digits[0].simple_query("What digit is this?")
    return llm_query(f"Is {value} an odd number?")
