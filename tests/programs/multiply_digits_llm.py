# ruff: noqa
# Tests: llm_query with a two-hole f-string, int() of its answer.
# Question: what is the product of the first two digits?
def execute_command(image) -> int:
    digits = ImagePatch(image).find("digit")
    if len(digits) < 2:
        return -1
    a = digits[0].simple_query("What digit is this?")
    b = digits[1].simple_query("What digit is this?")
    return int(llm_query(f"What is {a} times {b}?"))
