"""Lists the places outside a family's own folders (and the registries) where code names a model family: a
family's type name, or an identifier made from it (lda_layout, LdaModel), in C++ code or Python code; comments and
docstrings, which may mention families as examples, are not code. The families are the folders of src/models/.
Usage: check_family_names.py REPO; exit status 1 if there is such a place."""
import ast
import os
import re
import subprocess
import sys

repo = sys.argv[1]
families = sorted(d for d in os.listdir(os.path.join(repo, "src/models"))
                  if os.path.isdir(os.path.join(repo, "src/models", d)))
files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "src", "include",
                        "tools/natgrad_tools"], cwd=repo, check=True,
                       capture_output=True, text=True).stdout.split()
found = []


def pattern(f):
    # lda, lda_x, Lda..., LDA, as a word of its own or the start of one (not ldac, nor the LDA-C format)
    return re.compile(rf"(?<![A-Za-z0-9])({f}|{f.capitalize()})(?![a-z0-9])|(?<![A-Za-z0-9]){f.upper()}(?![A-Za-z0-9-])")


def own(path, f):
    return (path.startswith((f"src/models/{f}/", f"include/natgrad/models/{f}/"))
            or path in (f"tools/natgrad_tools/{f}.py", "src/models/registry.cpp", "tools/natgrad_tools/registry.py"))


def cpp_code(text):
    """The C++ text without // comments, line by line (natgrad writes no /* */ comments)."""
    lines = []
    for line in text.splitlines():
        out, in_string, i = [], False, 0
        while i < len(line):
            c = line[i]
            if not in_string and line.startswith("//", i):
                break
            if c == '"' and (i == 0 or line[i - 1] != "\\"):
                in_string = not in_string
            out.append(c)
            i += 1
        lines.append("".join(out))
    return lines


def python_code(text):
    """(line, text) of the names and the string constants of Python code that are not docstrings."""
    tree = ast.parse(text)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value
        elif isinstance(node, ast.Name):
            yield node.lineno, node.id
        elif isinstance(node, ast.Attribute):
            yield node.lineno, node.attr
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            yield node.lineno, node.name
        elif isinstance(node, ast.alias):
            yield getattr(node, "lineno", 0), node.name


for path in files:
    if not path.endswith((".cpp", ".hpp", ".py")):
        continue
    with open(os.path.join(repo, path), encoding="utf-8") as fh:
        text = fh.read()
    pieces = python_code(text) if path.endswith(".py") else enumerate(cpp_code(text), start=1)
    pieces = list(pieces)
    for f in families:
        if own(path, f):
            continue
        rx = pattern(f)
        for line, piece in pieces:
            if rx.search(piece):
                found.append(f"{path}:{line}: names {f}: {piece.strip()[:100]}")
print("\n".join(found) if found else f"no code outside the family folders names a family ({', '.join(families)})")
sys.exit(1 if found else 0)
