"""The central API's commands of `ohjaus` (the parser is built in ohjaus/cli.py from both
sides): parsers.py adds their arguments; admin.py runs them, imported only when one runs."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from . import admin

    if args.command == "worker":
        return admin.run_worker_add(args) if args.worker_command == "add" else admin.run_worker_status(args)
    if args.command == "client" and args.client_command == "access-log":
        from .right_to_know import run_access_log

        return run_access_log(args, admin._central_db)
    return {
        "serve": admin.run_serve, "db": admin.run_db, "device": admin.run_device,
        "integration": admin.run_integration, "client": admin.run_client, "region": admin.run_region,
    }[args.command](args)
