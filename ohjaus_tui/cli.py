"""The `ohjaus` command. Errors are one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .domain.errors import DomainError
from .i18n import LANGUAGES, _, set_language

EXIT_ERROR = 2


def _demo_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("ohjaus", appauthor=False)) / "demo"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ohjaus",
        description=_("Client guidance for a sote-keskus: one contact, from need to follow-up."),
    )
    parser.add_argument("--data-dir", type=Path, help=_("data directory (default: OHJAUS_DATA_DIR or the user data directory)"))
    parser.add_argument("--demo", action="store_true", help=_("open a demo data directory (made on first use)"))
    parser.add_argument("--lang", choices=LANGUAGES, help=_("language of the screens (default: OHJAUS_LANG or fi)"))
    commands = parser.add_subparsers(dest="command")

    demo = commands.add_parser("demo", help=_("make a demo device data directory, headless"))
    demo.add_argument("--data-dir", type=Path, required=True, dest="demo_dir")
    demo.add_argument("--contacts", type=int, default=150, help=_("synthetic signed contacts (default 150)"))
    demo.add_argument("--clients", type=int, default=300, help=_("synthetic clients (default 300)"))
    demo.add_argument("--unit", help=_("the unit code of the device (default: the region's first unit)"))
    demo.add_argument("--seed", type=int, default=2026)

    export = commands.add_parser("export", help=_("write every record as JSON Lines or CSV"))
    export.add_argument("--data-dir", type=Path, required=True, dest="export_dir")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--out", type=Path, help=_("output file (default: standard output)"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.lang:
        set_language(args.lang)
    try:
        if args.command == "demo":
            return _run_demo(args)
        if args.command == "export":
            return _run_export(args)
        return _run_app(args)
    except DomainError as error:
        print(f"ohjaus: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def _run_demo(args: argparse.Namespace) -> int:
    from .demo import make_demo

    summary = make_demo(
        args.demo_dir, clients=args.clients, contacts=args.contacts, unit_code=args.unit, seed=args.seed
    )
    print(summary)
    return 0


def _run_export(args: argparse.Namespace) -> int:
    from .export import export

    if not args.export_dir.exists():
        raise DomainError(_("No data directory at {path}").format(path=args.export_dir))
    count = export(args.export_dir, args.format, args.out)
    if args.out:
        print(_("{n} records written to {path}").format(n=count, path=args.out), file=sys.stderr)
    return 0


def _run_app(args: argparse.Namespace) -> int:
    from .app import OhjausApp
    from .context import Context, load_shipped
    from .store.directory import default_data_dir, prepare, read_setting

    shipped = load_shipped()
    data_dir = args.data_dir or (_demo_dir() if args.demo else default_data_dir())
    demo = read_setting(data_dir, "demo") == "1"
    if args.demo and not demo:
        from .demo import make_demo

        print(_("Making the demo data (first use)..."), file=sys.stderr)
        make_demo(data_dir, shipped=shipped)
        demo = True
    # Problems with the directory are one line here, before the screen opens.
    prepare(data_dir)
    OhjausApp(Context(data_dir=data_dir, shipped=shipped, demo=demo)).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
