# ruff: noqa
# Tests: llm_query in a comprehension filter, plain function simple_query in a mapping one.
# Question: how many of the digits are prime?
def execute_command(image) -> int:
    digits = find(image, "digit")
    values = [simple_query(d, "What digit is this?") for d in digits]
    primes = [v for v in values if llm_query("Is " + v + " a prime number?") == "yes"]
    return len(primes)
