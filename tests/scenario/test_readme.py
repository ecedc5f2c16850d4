"""The README is a test: every `dropcast` command in its code blocks runs, in the order a
reader meets it, as a real process on one new database in an empty folder, and succeeds.
A command marked `(needs …)` in its comment (a sale, a platform token) is skipped, and says
so in the test report, so a README that drifts from the code fails CI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

README = Path(__file__).parents[2] / "README.md"
BIN = Path(sys.executable).parent  # where `pip install -e .` put `dropcast`
COMMAND = re.compile(r"^(?:[A-Z_]+=\S+\s+)*dropcast\b")  # `X=1 dropcast …` too
NEEDS = re.compile(r"#.*\(needs ([^)]*)\)")
INDENTED = re.compile(r"^ {4,}\S")


@dataclass(frozen=True)
class Example:
    line: int
    command: str

    @property
    def needs(self) -> str | None:
        marker = NEEDS.search(self.command)
        return marker[1] if marker else None


def examples(text: str) -> list[Example]:
    """Commands in fenced ```sh blocks and in indented blocks, continuation lines joined."""
    found: list[Example] = []
    fenced = False
    lines = text.splitlines()
    n = 0
    while n < len(lines):
        line = lines[n]
        if line.startswith("```"):
            fenced = line.strip() == "```sh"
        elif (fenced or INDENTED.match(line)) and COMMAND.match(line.strip()):
            start, parts = n, [line.strip()]
            while parts[-1].endswith("\\") and n + 1 < len(lines):
                n += 1
                parts[-1] = parts[-1].removesuffix("\\").rstrip()
                parts.append(lines[n].strip())
            found.append(Example(start + 1, " ".join(parts)))
        n += 1
    return found


EXAMPLES = examples(README.read_text())


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A newcomer's empty working folder: the default database lands in ./data."""
    return tmp_path_factory.mktemp("newcomer")


def newcomer_env(folder: Path) -> dict[str, str]:
    """Only what a new creator's shell has: no tokens, no DATABASE_URL, nothing of ours."""
    keep = ("HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {key: value for key, value in os.environ.items() if key in keep}
    return env | {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "120"}


def test_the_readme_has_the_walkthrough_examples():
    commands = [example.command.split("#")[0].split() for example in EXAMPLES]
    for expected in (["dropcast", "migrate"], ["dropcast", "live", "start", "1"]):
        assert expected in commands
    assert any("campaign" in c and "create" in c for c in commands)
    assert any(example.needs for example in EXAMPLES)  # the marker is understood


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"line {e.line}")
def test_each_readme_command_works_as_written(example: Example, folder: Path):
    if example.needs:
        pytest.skip(f"README line {example.line} needs {example.needs}")
    done = subprocess.run(
        ["bash", "-c", example.command],
        cwd=folder,
        env=newcomer_env(folder),
        capture_output=True,
        text=True,
        timeout=120,
    )
    said = f"README line {example.line}: {example.command}\n{done.stdout}\n{done.stderr}"
    assert done.returncode == 0, said
    assert "Traceback" not in done.stderr, said
