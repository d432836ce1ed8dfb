"""The shipped data's start-up cache (context.load_shipped(cached=True)): the same data as
loading the files, never a stale or an unchecked one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ohjaus_tui.context import Context, load_shipped, shipped_data_dir, shipped_for_start
from ohjaus_core.domain.protocols import loading as protocols
from ohjaus_core.domain.errors import DataFileError


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("OHJAUS_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "data"
    shutil.copytree(shipped_data_dir(), root)
    return root


def test_the_second_start_takes_the_cached_data_without_parsing(data, monkeypatch):
    first = load_shipped(data, cached=True)
    assert first == load_shipped(data)
    assert (data.parent / "cache" / "shipped.pickle").exists()

    def parse(_folder):
        raise AssertionError("parsed although nothing changed")

    monkeypatch.setattr(protocols, "load_protocols", parse)
    assert load_shipped(data, cached=True) == first


def test_a_changed_file_is_read_again_and_a_broken_one_still_stops_the_start(data, monkeypatch):
    before = load_shipped(data, cached=True)
    parsed = []
    monkeypatch.setattr(protocols, "load_protocols", lambda folder: parsed.append(folder) or before.protocols)
    services = data / "services.toml"
    text = services.read_text("utf-8")
    services.write_text(text.replace("[[service]]", "[[service]]\n# a comment", 1), "utf-8")
    again = load_shipped(data, cached=True)  # read again (a changed file), the same services
    assert again.catalogue == before.catalogue and len(parsed) == 1
    services.write_text(text + "\nthis is not toml\n", "utf-8")
    with pytest.raises(DataFileError):
        load_shipped(data, cached=True)


def test_a_damaged_cache_is_only_slower(data):
    load_shipped(data, cached=True)
    (data.parent / "cache" / "shipped.pickle").write_bytes(b"garbage")
    assert load_shipped(data, cached=True) == load_shipped(data)


def test_at_the_start_the_cached_data_is_loaded_at_first_use_and_a_broken_file_still_stops_it(data, tmp_path):
    assert not callable(shipped_for_start(data))  # nothing cached yet: loaded and checked now
    later = shipped_for_start(data)
    assert callable(later)  # the same files: unpickled when first needed
    ctx = Context(data_dir=tmp_path, shipped=later)
    assert ctx.shipped == load_shipped(data) and not callable(ctx._shipped)
    (data / "region.toml").write_text("not = [toml\n", "utf-8")
    with pytest.raises(DataFileError):
        shipped_for_start(data)


def test_a_cache_others_could_write_is_never_unpickled(data, monkeypatch, tmp_path):
    """The cache is a pickle: one in a folder or file that another user could have written
    is not read (the files are parsed instead), whatever its key says (review of issue 18)."""
    import os
    import pickle

    first = load_shipped(data, cached=True)
    cache = data.parent / "cache" / "shipped.pickle"
    key = cache.read_bytes().partition(b"\n")[0]
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    for folder_mode, file_mode in ((0o777, 0o600), (0o700, 0o666)):
        cache.parent.chmod(0o700)
        cache.write_bytes(key + b"\n" + pickle.dumps(Payload()))
        cache.parent.chmod(folder_mode)
        cache.chmod(file_mode)
        assert load_shipped(data, cached=True) == first
        assert not marker.exists()
    cache.parent.chmod(0o700)


@pytest.mark.parametrize("module", ["protocols/loading.py", "deadlines/loading.py", "codes.py"])
def test_a_changed_domain_module_also_in_a_subpackage_is_a_new_cache(data, module):
    """The cache holds objects of the domain's classes: a new release of the code that reads
    the data (also in domain/protocols/ and domain/deadlines/) never starts from an old one."""
    import os

    from ohjaus_core import domain
    from ohjaus_tui.context import _ShippedCache

    path = Path(domain.__file__).parent / module
    before = _ShippedCache(data).key
    stat = path.stat()
    try:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert _ShippedCache(data).key != before
    finally:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _ShippedCache(data).key == before
