"""The code's shape, checked: import layers and cycles (import-linter), packages that only
re-export, no function-local imports, no reaching into another module's private names, and
modules that stay small (docs/DESIGN.md, "Layers"; docs/STYLE.md rule 20)."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONE = ROOT / "cone"
MODULES = sorted(CONE.rglob("*.py"))
MAX_LINES = 300
# One cycle with a third-party library may force a function-local import: the comment says which
ALLOWED_LOCAL_IMPORT = "cycle with"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def test_import_layers_and_no_cycles():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache", "--config", str(ROOT / ".importlinter")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_function_local_imports(path):
    lines = path.read_text().splitlines()
    local = [node.lineno for fn in ast.walk(tree(path))
             if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
             for node in ast.walk(fn) if isinstance(node, (ast.Import, ast.ImportFrom))
             and ALLOWED_LOCAL_IMPORT not in lines[node.lineno - 1]]
    assert local == [], f"function-local imports at lines {local}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_names_from_other_modules(path):
    mine, imported, reached = module_name(path), set(), []
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cone"):
            imported |= {a.asname or a.name for a in node.names}
            reached += [f"{node.module}.{a.name}" for a in node.names
                        if a.name.startswith("_") and node.module != mine]
        elif isinstance(node, ast.Import):
            imported |= {a.asname or a.name for a in node.names if a.name.startswith("cone")}
    for node in ast.walk(tree(path)):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in imported and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            reached.append(f"{node.value.id}.{node.attr}")
    assert reached == []


@pytest.mark.parametrize("path", sorted(CONE.rglob("__init__.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_service_packages_only_re_export(path):
    if path.parent == CONE or "services" not in path.parts:
        return  # the app factory and the blueprints' packages do real work
    package = module_name(path)
    for node in tree(path).body:
        docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        exported = isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["__all__"]
        assert docstring or exported or isinstance(node, (ast.Import, ast.ImportFrom)), (
            f"{package}/__init__.py line {node.lineno} does more than re-export")
    for sub in path.parent.glob("*.py"):
        for node in ast.walk(tree(sub)):
            if isinstance(node, ast.ImportFrom) and node.module == package:
                submodules = {p.stem for p in path.parent.iterdir()}
                names = [a.name for a in node.names if a.name not in submodules]
                assert names == [], f"{sub.name} imports {names} from its own package"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_small(path):
    if path.name == "models.py":
        return  # the data model reads best whole
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{lines} lines: split it by sub-area"
