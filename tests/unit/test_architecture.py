"""Dependencies point inward; the domain imports no framework."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import consigndesk

PACKAGE = Path(consigndesk.__file__).parent
FRAMEWORKS = {
    "fastapi",
    "starlette",
    "sqlalchemy",
    "pydantic",
    "jinja2",
    "alembic",
    "httpx",
    "uvicorn",
    "pydantic_settings",
    "typer",
    "nats",
    "sklearn",
}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(imported_roots(path) & FRAMEWORKS)
        for path in (PACKAGE / "domain").rglob("*.py")
        if imported_roots(path) & FRAMEWORKS
    }
    assert offenders == {}


def test_import_linter_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is a dev dependency"
    result = subprocess.run(
        [lint_imports], capture_output=True, text=True, cwd=PACKAGE.parent.parent
    )
    assert result.returncode == 0, result.stdout + result.stderr
