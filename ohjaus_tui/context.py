"""What every screen works with: the store, the shipped data, the signed-in worker, the clock."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ohjaus_core import domain
from ohjaus_core.data_dir import shipped_data_dir
from ohjaus_core.settings import settings

if TYPE_CHECKING:
    from concurrent.futures import Future

    from ohjaus_core.domain.catalogue import Service
    from ohjaus_core.domain.deadlines.rules import RegionRules
    from ohjaus_core.domain.protocols.model import Protocol
    from ohjaus_core.domain.viewer import Viewer
    from .store.models import Unit, Worker
    from .store.store import Store


@dataclass(frozen=True)
class Shipped:
    protocols: list[Protocol]
    catalogue: list[Service]
    region: RegionRules

    def protocol(self, protocol_id: str) -> Protocol | None:
        return next((p for p in self.protocols if p.id == protocol_id), None)

    def service(self, code: str) -> Service | None:
        return next((s for s in self.catalogue if s.code == code), None)


def load_shipped(root: Path | None = None, *, cached: bool = False) -> Shipped:
    """Load and validate every shipped data file; a broken one raises DataFileError.

    cached (the application's start): the result of the last load of the very same files by
    the very same code, when there is one (see _ShippedCache); else loaded as above and kept
    for the next start. Parsing the TOML was a fifth of the time to the sign-in screen."""
    from ohjaus_core.domain.catalogue import load_catalogue, social_of
    from ohjaus_core.domain.deadlines.loading import load_region_rules
    from ohjaus_core.domain.protocols.loading import load_protocols

    root = root or shipped_data_dir()
    cache = _ShippedCache(root) if cached else None
    if cache is not None and (shipped := cache.read()) is not None:
        return shipped
    protocols = load_protocols(root / "protocols")
    social = social_of(protocols)
    if social is None:
        # Without it the social register has nothing to assess with, and the catalogue's need
        # domains, questions and duties would go unchecked (a misspelt domain passing).
        from ohjaus_core.domain.errors import DataFileError
        from ohjaus_core.i18n import _

        raise DataFileError(root / "protocols", None, _(
            "no social protocol (one with need domains, as social_service_need.toml): the social "
            "register's assessment and the catalogue's need domains and duties are read with it"
        ))
    shipped = Shipped(
        protocols=protocols,
        catalogue=load_catalogue(root / "services.toml", social),
        region=load_region_rules(root / "region.toml"),
    )
    if cache is not None:
        cache.write(shipped)
    return shipped


def shipped_for_start(root: Path | None = None) -> "Shipped | Callable[[], Shipped]":
    """The shipped data for the application's start. When the cache holds the data of these
    very files (checked now: their bytes), a function that unpickles it at first use - the
    sign-in screen needs none of it, nor the domain modules it is made of; else the files are
    loaded and checked now, so a broken one stops the start before the screen as always."""
    root = root or shipped_data_dir()
    cache = _ShippedCache(root)
    if cache.holds():
        return lambda: cache.read() or load_shipped(root, cached=True)
    return load_shipped(root, cached=True)


def _files(top: Path, suffix: str = "") -> list[str]:
    """The files under `top` whose names end with `suffix`, as sorted relative POSIX paths."""
    found = []
    for folder, _dirs, names in os.walk(top):
        relative = os.path.relpath(folder, top)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        found.extend(prefix + name for name in names if name.endswith(suffix))
    return sorted(found)


class _ShippedCache:
    """The loaded shipped data, pickled in the user's cache directory (OHJAUS_CACHE_DIR, else
    platformdirs' user cache directory), under a digest of every file under the data folder
    (their bytes) and of the code that reads them (the package's version and the size and
    time of each domain module). Only a load that passed every check is kept, so a changed or
    broken file is read and checked again and fails as before. The cache is the user's own
    file, as trusted as their data directory; any problem reading or writing it just means
    loading the files."""

    FILE = "shipped.pickle"

    def __init__(self, root: Path) -> None:
        try:  # hashlib's own BLAKE2, without loading OpenSSL's module (~1 ms of every start)
            from _blake2 import blake2b
        except ImportError:
            from hashlib import blake2b

        self._body: bytes | None = None
        digest = blake2b(digest_size=32)
        digest.update(str(root.resolve()).encode())
        code = Path(domain.__file__).parent
        try:
            # os.walk and plain strings: the same files and digest as pathlib's rglob, in half
            # the time (~2 ms of the start, issue 18)
            for folder, names in ((root, _files(root)), (code, _files(code, ".py"))):
                for name in names:
                    path = os.path.join(folder, name)
                    digest.update(name.encode() + b"\0")
                    if folder is root:
                        with open(path, "rb") as file:
                            digest.update(file.read())
                    else:
                        stat = os.stat(path)
                        digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
                    digest.update(b"\0")
            digest.update(Path(__file__).read_bytes())
        except OSError:
            self.key = None
            return
        self.key = digest.hexdigest().encode()

    @staticmethod
    def directory() -> Path:
        configured = settings().cache_dir_path
        if configured:
            return configured
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("ohjaus", appauthor=False))

    def holds(self) -> bool:
        """Whether the cache file was made from these very files (kept for read)."""
        if self.key is None:
            return False
        try:
            folder = self.directory()
            if not (_private(folder) and _private(folder / self.FILE)):
                return False  # unpickling runs code: only a file no one else could have written
            raw = (folder / self.FILE).read_bytes()
        except OSError:
            return False
        key, _, body = raw.partition(b"\n")
        if key != self.key:
            return False
        self._body = body
        return True

    def read(self) -> Shipped | None:
        import pickle

        try:
            if self._body is None and not self.holds():
                return None
            shipped = pickle.loads(self._body)
        except Exception:  # noqa: BLE001 - missing, stale or unreadable: load the files
            return None
        return shipped if isinstance(shipped, Shipped) else None

    def write(self, shipped: Shipped) -> None:
        import pickle

        if self.key is not None:
            write_cache_file(self.FILE, lambda: self.key + b"\n" + pickle.dumps(shipped, protocol=pickle.HIGHEST_PROTOCOL))


def write_cache_file(name: str, make: Callable[[], bytes]) -> None:
    """A file of the cache directory (_ShippedCache.directory) written whole or not at all,
    also between processes; never in a folder others may write to (it would not be read)."""
    import tempfile

    file = None
    try:
        folder = _ShippedCache.directory()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder):
            return
        body = make()
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{name}-", delete=False) as file:
            file.write(body)
        os.replace(file.name, folder / name)
    except Exception:  # noqa: BLE001 - a cache that cannot be written is only slower
        if file is not None:
            try:
                os.unlink(file.name)
            except OSError:
                pass


def _private(path: Path) -> bool:
    """Owned by this user and writable by no one else (as ssh asks of its keys): the cache is
    a pickle, and whoever could write it could run code in the process holding the store key."""
    if not hasattr(os, "getuid"):
        return True  # Windows: the user's own profile folder
    info = path.lstat()
    return info.st_uid == os.getuid() and not info.st_mode & 0o022 and not os.path.islink(path)


_RESOLVING = threading.Lock()


def _now() -> datetime:
    """ohjaus_core.domain.clock.now, imported when first asked (after the first screen:
    zoneinfo and the time zone data are not needed to draw it)."""
    from ohjaus_core.domain.clock import now

    return now()


class Context:
    """The application's shared state. The store (SQLModel) may open in the background:
    the sign-in screen does not need it, and importing the ORM is most of start-up time."""

    def __init__(
        self,
        *,
        shipped: "Shipped | Callable[[], Shipped]",
        store: "Store | None" = None,
        data_dir: Path | None = None,
        clock: Callable[[], datetime] | None = None,
        demo: bool = False,
    ) -> None:
        if store is None and data_dir is None:
            raise ValueError("a store or a data directory is needed")
        self._shipped = shipped  # or, at the application's start, a function that loads it (shipped_for_start)
        self.data_dir: Path = data_dir or store.data_dir  # type: ignore[union-attr]
        self.clock = clock or _now  # the domain's clock (Finnish time)
        self.demo = demo
        self.worker: "Worker | None" = None
        self.unit: "Unit | None" = None
        self.viewer: "Viewer | None" = None  # the signed-in worker's register and role
        self.locked = False
        self.worklist_trail = None  # screens.audit.ViewTrail of the home lists, per sign-in
        # The sign-in list read at the start on the schema check's connection (directory.prepare),
        # taken by the first sign-in screen; every later one reads its own.
        self.sign_in_list_at_start: "tuple[list, str | None] | None" = None
        self._store = store
        self._opening: "Future | None" = None
        self.catalogue_notice = ""  # the region's catalogue kept aside at the start: why (use_region_catalogue)
        if store is not None:
            self.use_region_catalogue(store)

    @property
    def shipped(self) -> Shipped:
        if callable(self._shipped):
            with _RESOLVING:  # the store's opening thread may ask at the same time
                if callable(self._shipped):
                    self._shipped = self._shipped()
        return self._shipped

    @shipped.setter
    def shipped(self, value: Shipped) -> None:
        self._shipped = value

    def open_store_in_background(self) -> None:
        if self._store is None and self._opening is None:
            from concurrent.futures import ThreadPoolExecutor

            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
            self._opening = executor.submit(self._open_store)
            executor.shutdown(wait=False)

    def _open_store(self) -> "Store":
        import gc
        import sys

        gc.enable()  # held since the start (cli/start.py run_app): the first screen is drawn

        # Importing the ORM in the background holds the interpreter lock for half a second of
        # CPU (more on a busy machine): with a short switch interval the screen's thread gets
        # it back within a millisecond instead of five, so keys stay answered meanwhile.
        background = threading.current_thread() is not threading.main_thread()
        interval = sys.getswitchinterval()
        if background:
            sys.setswitchinterval(min(interval, 0.0005))
        try:
            from .store.store import Store
        finally:
            if background:
                sys.setswitchinterval(interval)
        store = Store(self.data_dir)
        self.use_region_catalogue(store)
        return store

    def store_is_open(self) -> bool:
        """Whether `store` answers at once (open, or its opening has ended, well or not)."""
        return self._store is not None or (self._opening is not None and self._opening.done())

    def wait_for_store(self) -> None:
        """Until the store's background opening (open_store_in_background) has ended; an
        error in it is raised where `store` is next asked for, as before."""
        if self._opening is not None:
            self._opening.exception()

    def use_region_catalogue(self, store: "Store | None" = None) -> None:
        """The region's catalogue, when one came by sync from its import, replaces the data
        folder's (at the store's opening and after every sync that pulled something) - checked
        against this program's social protocol as one coming by sync is: one stored before
        that check, or that an update of the program makes unfit, is kept aside and the data
        folder's is used; `catalogue_notice` then says why (the line F6 shows) until the
        application shows it."""
        from ohjaus_core.domain.catalogue import social_of

        services, notice = (store or self.store).pull.region_catalogue_checked(
            lambda: social_of(self.shipped.protocols), self.clock()
        )
        if notice:
            self.catalogue_notice = notice
        if services is not None:
            self.shipped = replace(self.shipped, catalogue=services)

    @property
    def store(self) -> "Store":
        if self._store is None:
            self._store = self._opening.result() if self._opening else self._open_store()
        return self._store

    def now(self) -> datetime:
        from ohjaus_core.domain.clock import local

        return local(self.clock()).replace(microsecond=0)
