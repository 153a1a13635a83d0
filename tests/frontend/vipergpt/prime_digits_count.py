# Question: How many of the digits are prime numbers?
# Idioms: llm_query(..., long_answer=False) (function form) in a loop, an f-string, +=.
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    digit_patches = image_patch.find("digit")
    primes = 0
    for digit_patch in digit_patches:
        name = digit_patch.simple_query("What number is this?")
        if llm_query(f"Is {name} a prime number?", long_answer=False) == "yes":
            primes += 1
    return str(primes)
