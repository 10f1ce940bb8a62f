# Runs /work/main.py for one test. MODE is "program", "function NAME", or, for a job's first test,
# "detect" / "detect NAME": then the code is checked and classified first and the verdict written to
# fd 3 ("CE", "program" or "function NAME"), which is closed before any submitted code runs.
# MODE "syntax" only checks the code and reports "CE" or "program" (a checker program's compile step);
# MODE "checker" runs it as a program whose uncaught exception exits 3, not 1, which a checker's
# exit 1 would mean (a wrong answer), so a crashing checker is a judge error.
# Arguments after MODE are the program's own (sys.argv[1:]).
# Function tests: the input is parsed as JSON (an array is the argument list, another value one
# argument, non-JSON text one string) and the result printed: plain for numbers and strings,
# compact JSON otherwise.
import _ast
import sys

path, mode = sys.argv[1], sys.argv[2].split(" ")
sys.argv = [path] + sys.argv[3:]
sys.path[0] = "/work"
with open(path, "rb") as f:
    source = f.read()


def definitions_only(tree):
    def side_effects(node):
        todo = [node]
        while todo:
            n = todo.pop()
            if isinstance(n, (_ast.Call, _ast.Await, _ast.Yield, _ast.YieldFrom)):
                return True
            for field in n._fields:
                v = getattr(n, field, None)
                if isinstance(v, _ast.AST):
                    todo.append(v)
                elif isinstance(v, list):
                    todo.extend(x for x in v if isinstance(x, _ast.AST))
        return False

    for s in tree.body:
        if isinstance(s, (_ast.FunctionDef, _ast.AsyncFunctionDef, _ast.ClassDef, _ast.Import, _ast.ImportFrom, _ast.Pass)):
            continue
        if isinstance(s, _ast.Expr) and isinstance(s.value, _ast.Constant):
            continue
        if isinstance(s, (_ast.Assign, _ast.AnnAssign)) and (s.value is None or not side_effects(s.value)):
            continue
        return False
    return True


def classify(tree, entry):
    functions = [s.name for s in tree.body if isinstance(s, (_ast.FunctionDef, _ast.AsyncFunctionDef))]
    if entry:
        defined = set(functions)
        for s in tree.body:
            if isinstance(s, _ast.ClassDef):
                defined.add(s.name)
            elif isinstance(s, _ast.Assign):
                defined.update(t.id for t in s.targets if isinstance(t, _ast.Name))
            elif isinstance(s, (_ast.Import, _ast.ImportFrom)):
                defined.update((a.asname or a.name).split(".")[0] for a in s.names)
        return ["function", entry] if entry in defined else None
    if len(functions) == 1 and definitions_only(tree):
        return ["function", functions[0]]
    return ["program"]


if mode[0] in ("detect", "syntax"):
    report = open(3, "w")
    try:
        tree = compile(source, path, "exec", _ast.PyCF_ONLY_AST)
        code = compile(tree, path, "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as e:
        import traceback
        sys.stderr.write("".join(traceback.format_exception_only(type(e), e)))
        report.write("CE")
        sys.exit(1)
    if mode[0] == "syntax":
        report.write("program")
        sys.exit(0)
    entry = mode[1] if len(mode) > 1 else ""
    mode = classify(tree, entry)
    if mode is None:
        sys.stderr.write(f"entrypoint '{entry}' is not defined at the top level of the program\n")
        report.write("CE")
        sys.exit(1)
    report.write(" ".join(mode))
    report.close()
    del tree
else:
    code = compile(source, path, "exec")
del source


def hide_harness(kind, value, tb):
    # The submission's traceback, without this file's frame.
    import traceback
    while tb is not None and (tb.tb_frame.f_code.co_filename in (__file__, "/opt/runner/run.py")
                              or tb.tb_frame.f_code.co_filename.startswith("<frozen importlib")):
        tb = tb.tb_next
    traceback.print_exception(kind, value, tb)


sys.excepthook = hide_harness
module = type(sys)("__main__" if mode[0] in ("program", "checker") else "solution")
module.__file__ = path
module.__builtins__ = __builtins__
if mode[0] == "program":
    sys.modules["__main__"] = module
    exec(code, module.__dict__)
elif mode[0] == "checker":
    sys.modules["__main__"] = module
    try:
        exec(code, module.__dict__)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException:
        hide_harness(*sys.exc_info())
        sys.stderr.flush()
        import os
        os._exit(3)
else:
    import json

    text = sys.stdin.read()
    try:
        value = json.loads(text)
        args = value if isinstance(value, list) else [value]
    except ValueError:
        args = [text[:-1] if text.endswith("\n") else text]
    sys.modules["solution"] = module
    exec(code, module.__dict__)
    result = module.__dict__[mode[1]](*args)
    if hasattr(result, "__await__"):
        import asyncio
        result = asyncio.run(result)

    def encode(o):
        return list(o) if isinstance(o, (set, frozenset, tuple)) else str(o)

    if isinstance(result, str) or (isinstance(result, (int, float)) and not isinstance(result, bool)):
        print(result)
    else:
        print(json.dumps(result, separators=(",", ":"), ensure_ascii=False, default=encode))
