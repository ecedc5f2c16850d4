"""The README is a test: every `dropcast` command in its code blocks runs, in the order a
reader meets it, as a real process on one new database in an empty folder, and succeeds.
A command marked `(needs …)` in its comment (a sale, a platform token) is skipped, and says
so in the test report. Every `dropcast …` named in the prose is parsed by the real command
line: its command exists and takes those options. A README that drifts from the code fails
CI."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer._click.core import Context
from typer._click.exceptions import MissingParameter, NoArgsIsHelpError
from typer.core import TyperGroup

from bots.cli import root_command

README = Path(__file__).parents[2] / "README.md"
BIN = Path(sys.executable).parent  # where `pip install -e .` put `dropcast`
COMMAND = re.compile(r"^(?:[A-Z_]+=\S+\s+)*dropcast\b")  # `X=1 dropcast …` too
NEEDS = re.compile(r"#.*\(needs ([^)]*)\)")
INDENTED = re.compile(r"^ {4,}\S")
MENTION = re.compile(r"`(dropcast [^`]*)`")


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


MENTIONS = sorted(set(MENTION.findall(README.read_text())))


def parsed(command: Any, words: list[str], parent: Context | None = None) -> None:
    """Parse `words` as `dropcast` would, down to the command they name, running nothing."""
    context: Context = command.make_context(command.name or "dropcast", words, parent=parent)
    rest = [*context._protected_args, *context.args]
    if isinstance(command, TyperGroup) and rest:
        _, sub, words = command.resolve_command(context, rest)
        assert sub is not None
        parsed(sub, words, context)


@pytest.mark.parametrize("mention", MENTIONS)
def test_each_command_the_readme_names_exists_with_those_options(mention: str):
    # ID and … stand for what the reader fills in; a command named without its arguments
    # (`dropcast fan show` lists…) is a name, not a call
    words = ["1" if word == "ID" else word for word in shlex.split(mention.replace("…", ""))]
    with contextlib.suppress(MissingParameter, NoArgsIsHelpError):
        parsed(typer.main.get_command(root_command()), words[1:])
