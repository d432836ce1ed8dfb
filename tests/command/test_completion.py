"""Shell completion (issue 17): `ohjaus completion bash` writes a script from the program's own
parser; bash, given it, completes commands, subcommands, options and choices."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRY = """
source "$1"
try() { COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE="${COMP_WORDS[*]}";
        COMP_POINT=${#COMP_LINE}; COMPREPLY=(); _shtab_ohjaus; echo "${COMPREPLY[*]}"; }
try ohjaus d
try ohjaus db ""
try ohjaus worker re
try ohjaus serve --up
try ohjaus worker add --role ""
"""


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_bash_completes_commands_subcommands_options_and_choices(tmp_path):
    script = tmp_path / "ohjaus.bash"
    made = subprocess.run([sys.executable, "-m", "ohjaus", "completion", "bash"],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    script.write_text(made.stdout)
    shown = subprocess.run(["bash", "-c", TRY, "bash", str(script)], capture_output=True, text=True, check=True)
    assert shown.stdout.splitlines() == ["demo db device", "upgrade status", "remove", "--upgrade",
                                         "nurse counsellor team_lead"]


def test_zsh_and_tcsh_scripts_are_written_too():
    for shell, mark in (("zsh", "#compdef ohjaus"), ("tcsh", "complete ohjaus")):
        made = subprocess.run([sys.executable, "-m", "ohjaus", "completion", shell],
                              capture_output=True, text=True, cwd=ROOT, check=True)
        assert mark in made.stdout
