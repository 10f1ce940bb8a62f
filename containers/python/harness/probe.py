# Decides once per job how the tests run, without executing the submission: compile errors go to
# stderr (exit 2); otherwise fd 3 gets "program" or "function NAME".
import ast
import os
import sys

path = sys.argv[1]
entry = sys.argv[2] if len(sys.argv) > 2 else ""
report = os.fdopen(3, "w")

try:
    with open(path, "rb") as f:
        tree = ast.parse(f.read(), filename="main.py")
    compile(tree, "main.py", "exec")
except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
    import traceback
    sys.stderr.write("".join(traceback.format_exception_only(type(e), e)))
    sys.exit(2)


def calls(node):
    return any(isinstance(n, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom)) for n in ast.walk(node))


def is_definition(stmt):
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom, ast.Pass)):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):  # docstrings
        return True
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        return stmt.value is None or not calls(stmt.value)
    return False


functions = [s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
if entry:
    defined = set(functions)
    for s in tree.body:
        if isinstance(s, ast.Assign):
            defined.update(t.id for t in s.targets if isinstance(t, ast.Name))
        elif isinstance(s, ast.ClassDef):
            defined.add(s.name)
    if entry not in defined:
        print(f"entrypoint '{entry}' is not defined at the top level of the program", file=sys.stderr)
        sys.exit(2)
    report.write("function " + entry)
elif len(functions) == 1 and all(is_definition(s) for s in tree.body):
    report.write("function " + functions[0])
else:
    report.write("program")
