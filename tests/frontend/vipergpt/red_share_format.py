# Question: What share of the digits is red?
# Idioms: "...".format with named fields and a format spec ({share:.0%}).
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    digits = image_patch.find("digit")
    red = [d for d in digits if d.verify_property("digit", "red")]
    share = len(red) / len(digits) if digits else 0.0
    return "{count} of {total} digits are red ({share:.0%})".format(
        count=len(red), total=len(digits), share=share
    )
