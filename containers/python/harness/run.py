# The script python3 starts for every test; the work is in harness.py, whose bytecode is cached in
# the image (a script's own code is compiled on every start).
import harness  # noqa: F401
