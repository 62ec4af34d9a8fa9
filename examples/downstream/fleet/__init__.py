"""Fleet management on VM scale sets: the code under test in this example project."""
from fleet.ops import deploy, outdated_instances, roll_out, scale, set_image_version, teardown

__all__ = ["deploy", "outdated_instances", "roll_out", "scale", "set_image_version", "teardown"]
