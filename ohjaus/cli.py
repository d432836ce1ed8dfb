"""The `ohjaus` command: one parser built from the device's commands (ohjaus_tui.cli) and the
central API's (ohjaus_central.cli), dispatched to the side that owns the command. Errors are one
clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

from ohjaus_core.domain.errors import DomainError
from ohjaus_core.i18n import LANGUAGES, N_, _, set_language

if TYPE_CHECKING:
    import argparse

EXIT_ERROR = 2

# argparse's own words (usage, options, errors) through the application's catalogue, so that
# `--lang sv --help` is Swedish throughout; argparse looks its `_` up at call time.
ARGPARSE_TEXTS = (
    N_("usage: "), N_("positional arguments"), N_("options"),
    N_("show this help message and exit"), N_("show program's version number and exit"),
    N_("the following arguments are required: %s"), N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"), N_("expected one argument"),
    N_("%(prog)s: error: %(message)s\n"), N_("argument %(argument_name)s: %(message)s"),
    N_("invalid %(type)s value: %(value)r"),
)

# What an option takes, shown in --help instead of argparse's upper-cased internal names.
METAVARS = {
    "--data-dir": N_("DIR"), "--db": "URL", "--server": "URL", "--out": N_("FILE"),
    "--from": N_("YYYY-MM-DD"), "--to": N_("YYYY-MM-DD"), "--unit": N_("UNIT"),
    "--worker": N_("USER"), "--token": N_("CREDENTIAL"), "--purpose": N_("TEXT"),
    "--recipient": N_("TEXT"), "--name": N_("TEXT"), "--host": N_("ADDRESS"),
    "--port": N_("PORT"), "--seed": "N", "--contacts": "N", "--clients": "N",
    "--workers": "N", "--vignettes": N_("PATH"), "--by": N_("NAME"), "--request": N_("TEXT"),
    "--client-id": "ID",
}
# Help for the options whose meaning is the same wherever they appear.
HELPS = {
    "--data-dir": N_("the device's data directory"),
    "--seed": N_("seed of the synthetic data, so that a run can be repeated (default 2026)"),
    "--host": N_("address to listen on (default 127.0.0.1: this machine only)"),
    "--port": N_("port to listen on (default 8765)"),
    "--server": N_("the central API's address (https://...; http only to this machine)"),
    "--register": N_("health or social; give it twice for both"),
    "--format": N_("file format (default: the first one)"),
    "device_id": N_("the device's id, as `ohjaus device list` shows it"),
    "integration_id": N_("the phone system credential's id, as `ohjaus integration list` shows it"),
    "username": N_("the worker's user name"),
    "file": N_("the file to read"),
}


def _argparse():
    """argparse, its words through the catalogue: imported only for a command line other than
    the application's own options (start-up, issue 18)."""
    import argparse

    argparse._ = _  # type: ignore[attr-defined]
    return argparse


def _early_language(argv: list[str] | None) -> None:
    """--lang before anything is printed, so that --help and errors speak it too. A wrong or
    missing value is left to the whole parser, whose usage and error name every option."""
    argparse = _argparse()
    early = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    early.add_argument("--lang")
    try:
        known, _rest = early.parse_known_args(argv)
    except argparse.ArgumentError:
        return
    if known.lang in LANGUAGES:
        set_language(known.lang)


def _finish(parser: argparse.ArgumentParser) -> None:
    """Fill every option's placeholder and help from the tables above, in every subcommand."""
    argparse = _argparse()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _finish(sub)
            continue
        key = action.option_strings[0] if action.option_strings else action.dest
        if action.metavar is None and action.nargs != 0 and not action.choices and key in METAVARS:
            action.metavar = _(METAVARS[key])
        if action.help is None and key in HELPS:
            action.help = _(HELPS[key])


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("ohjaus")
    except Exception:  # not installed (a bare checkout on sys.path)
        from ohjaus_core import __version__

        return __version__


def _version_action():
    """--version, the version looked up only when asked (importlib.metadata is slow to load)."""

    class _VersionAction(_argparse()._VersionAction):
        def __call__(self, parser, namespace, values, option_string=None):
            self.version = f"ohjaus {_version()}"
            super().__call__(parser, namespace, values, option_string)

    return _VersionAction


def _add_app_options(parser: argparse.ArgumentParser) -> None:
    """The options of the application itself (no command)."""
    parser.add_argument("--data-dir", type=Path, help=_("data directory (default: OHJAUS_DATA_DIR or the user data directory)"))
    parser.add_argument("--demo", action="store_true", help=_("open a demo data directory (made on first use)"))
    parser.add_argument("--lang", choices=LANGUAGES, help=_("language of the screens (default: OHJAUS_LANG or fi)"))


# The application's own options, as the whole parser reads them: (option, takes a value).
APP_OPTIONS = {"--demo": False, "--data-dir": True, "--lang": True}


def app_options(tokens: list[str]) -> SimpleNamespace | None:
    """The command line when it starts the application: only its own options, each spelt out
    (`--data-dir DIR`, `--data-dir=DIR`, `--lang sv`, `--demo`), read without argparse - importing
    it and building a parser was ~2 ms of every start (issue 18). None for anything else (a
    command, --help, --version, an abbreviation, a wrong or missing value): the whole parser
    reads that, with its answers and errors."""
    values = {"data_dir": None, "demo": False, "lang": None}
    position = 0
    while position < len(tokens):
        option, equals, value = tokens[position].partition("=")
        if option not in APP_OPTIONS or equals and not APP_OPTIONS[option]:
            return None
        position += 1
        if not APP_OPTIONS[option]:
            values["demo"] = True
            continue
        if not equals:
            if position == len(tokens):
                return None
            value = tokens[position]
            position += 1
        if not value or value.startswith("-") or (option == "--lang" and value not in LANGUAGES):
            return None
        values[option[2:].replace("-", "_")] = Path(value) if option == "--data-dir" else value
    return SimpleNamespace(**values, command=None)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace | SimpleNamespace:
    """The command line, as main() reads it. Starting the application (no command, only its
    own options, all spelt out) is read by those options alone (`app_options`): building every
    command's parser was ~14 ms of every start (issue 18). Anything else goes to the whole
    parser, with --lang taken first so that its help and errors speak it: the answers and
    errors are as before."""
    args = app_options(sys.argv[1:] if argv is None else list(argv))
    if args is None:
        _early_language(argv)
        args = build_parser().parse_args(argv)
    return args


def build_parser() -> argparse.ArgumentParser:
    """The one parser; the commands in the order --help has always listed them, each added by
    the side that runs it (`worker` has subcommands of both)."""
    from ohjaus_central.cli import parsers as central
    from ohjaus_tui.cli import parsers as device

    parser = _argparse().ArgumentParser(
        prog="ohjaus",
        description=_("Client guidance for a sote-keskus: one contact, from need to follow-up."),
    )
    parser.add_argument("--version", action=_version_action(), help=_("show the version and exit"))
    _add_app_options(parser)
    commands = parser.add_subparsers(dest="command")
    for add in (
        device.add_demo, device.add_check, central.add_serve, central.add_db, device.add_sync, device.add_connect,
        central.add_device, central.add_integration, central.add_client, central.add_region,
        device.add_export, device.add_report,
    ):
        add(commands)
    worker = commands.add_parser(
        "worker", help=_("workers: enrol one on the central API, sign one in for the first time, set a passphrase")
    )
    worker_commands = worker.add_subparsers(dest="worker_command", required=True)
    central.add_worker(worker_commands)
    device.add_worker(worker_commands)
    device.add_callbacks(commands)
    device.add_log(commands)
    completion = commands.add_parser(
        "completion", help=_("print a shell completion script: eval \"$(ohjaus completion bash)\" in ~/.bashrc")
    )
    completion.add_argument("shell", choices=("bash", "zsh", "tcsh"), help=_("the shell"))
    _finish(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.lang:
        set_language(args.lang)
    try:
        return _dispatch(args)
    except DomainError as error:
        print(f"ohjaus: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `ohjaus check | head`: the reader has all it wanted, no error
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush writes nowhere
        return 128 + 13  # as a program killed by SIGPIPE, for the shell's pipefail
    except Exception as error:  # noqa: BLE001 - one line, never a traceback with client data
        from ohjaus_tui.cli.start import internal_error

        return internal_error(args, error)


def _dispatch(args: argparse.Namespace) -> int:
    """The side that owns the command runs it; no command opens the application."""
    if args.command is None:
        from ohjaus_tui.cli import run

        return run(args)
    from ohjaus_central.cli import parsers as central

    if args.command == "completion":
        return _run_completion(args)
    if args.command in central.COMMANDS or (
        args.command == "worker" and args.worker_command in central.WORKER_COMMANDS
    ):
        from ohjaus_central.cli import run
    else:
        from ohjaus_tui.cli import run
    return run(args)


def _run_completion(args: argparse.Namespace) -> int:
    """Commands, subcommands, options and their choices completed by the shell (shtab writes
    the script from this very parser, so it never falls behind); directories for --data-dir."""
    import shtab

    parser = build_parser()
    for action in _all_actions(parser):
        if action.option_strings and action.option_strings[0] in ("--data-dir", "--out"):
            action.complete = shtab.DIRECTORY if action.option_strings[0] == "--data-dir" else shtab.FILE
        elif action.dest in ("folder", "file", "vignettes"):
            action.complete = shtab.DIRECTORY if action.dest == "folder" else shtab.FILE
    print(shtab.complete(parser, shell=args.shell))
    return 0


def _all_actions(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, _argparse()._SubParsersAction):
            for sub in action.choices.values():
                yield from _all_actions(sub)
        else:
            yield action


if __name__ == "__main__":
    sys.exit(main())
