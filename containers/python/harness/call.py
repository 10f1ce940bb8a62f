# Function tests: loads /work/main.py as a module, calls one function with the test's input parsed as
# JSON (an array is the argument list, another value one argument, non-JSON text one string) and
# prints the result: plain for numbers and strings, compact JSON for everything else.
import asyncio
import importlib.util
import inspect
import json
import sys

path, name = sys.argv[1], sys.argv[2]
text = sys.stdin.read()
try:
    value = json.loads(text)
    args = value if isinstance(value, list) else [value]
except ValueError:
    args = [text[:-1] if text.endswith("\n") else text]

sys.argv = [path]
spec = importlib.util.spec_from_file_location("solution", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
result = getattr(module, name)(*args)
if inspect.isawaitable(result):
    result = asyncio.run(result)


def encode(o):
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    return str(o)


if isinstance(result, str):
    print(result)
elif isinstance(result, (int, float)) and not isinstance(result, bool):
    print(result)
else:
    print(json.dumps(result, separators=(",", ":"), ensure_ascii=False, default=encode))
