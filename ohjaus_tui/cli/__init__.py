"""The device's commands of `ohjaus` (the parser is built in ohjaus/cli.py from both sides):
parsers.py adds their arguments; each handler's module is imported only when it runs."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

# command (or `worker` subcommand) -> module of this package, function
HANDLERS = {
    None: ("start", "run_app"),
    "demo": ("start", "run_demo"),
    "check": ("check", "run_check"),
    "sync": ("device", "run_sync"),
    "connect": ("device", "run_connect"),
    "export": ("device", "run_export"),
    "report": ("device", "run_report"),
    "callbacks": ("device", "run_callbacks"),
    "log": ("device", "run_log"),
    "enrol": ("device", "run_enrol"),
    "passphrase": ("device", "run_passphrase"),
}


def run(args: argparse.Namespace) -> int:
    module, name = HANDLERS[args.worker_command if args.command == "worker" else args.command]
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)(args)
