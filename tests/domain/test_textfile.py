"""Files with invalid UTF-8: an import keeps the good lines and names each bad one; a data
file with one stops start-up naming the file and the line."""

from __future__ import annotations

import shutil

from ohjaus_tui.context import shipped_data_dir
from ohjaus_core.domain.textfile import read_lines

from tests.command.test_cli import ohjaus


def test_each_invalid_line_is_reported_by_number_and_the_good_ones_are_kept(tmp_path):
    path = tmp_path / "callbacks.csv"
    path.write_bytes("nimi;puhelin\r\nVirtanen;040\n".encode() + b"M\xe4kel\xe4;050\n" + "Öberg;044\n".encode() + b"\xff\xfe\n")
    lines = read_lines(path)
    assert lines.lines == [(1, "nimi;puhelin"), (2, "Virtanen;040"), (4, "Öberg;044")]
    assert lines.invalid == [3, 5]
    assert lines.problems == [f"{path}:3: not valid UTF-8", f"{path}:5: not valid UTF-8"]


def test_a_byte_order_mark_and_an_empty_file_are_no_problem(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfa\nb")
    assert read_lines(path).lines == [(1, "a"), (2, "b")]
    path.write_bytes(b"")
    assert read_lines(path).lines == [] and read_lines(path).invalid == []


def test_a_data_file_with_invalid_utf8_stops_start_up_with_its_file_and_line(tmp_path):
    copy = tmp_path / "shipped"
    shutil.copytree(shipped_data_dir(), copy)
    path = copy / "protocols" / "chest_pain.toml"
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3] + b" # \xc3\x28"
    path.write_bytes(b"\n".join(lines))
    result = ohjaus("--data-dir", str(tmp_path / "d"), env_extra={"OHJAUS_SHIPPED_DATA": str(copy), "OHJAUS_LANG": "en"})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "chest_pain.toml:4: not valid UTF-8" in result.stderr
