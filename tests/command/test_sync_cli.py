"""`ohjaus sync`, `ohjaus connect`, `ohjaus device` and `ohjaus serve` as a script or an
administrator uses them: one clear line and the right exit code."""

from __future__ import annotations

from datetime import date

import pytest

from ohjaus.cli import main
from ohjaus_tui.store.store import Store
from ohjaus_tui.store.sync_side import SERVER, TOKEN

from ..sync_helpers import free_port


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_sync_sends_and_receives_then_has_nothing_left(capsys, devices):
    device = devices("a")
    device.add_client(date(1999, 9, 9), 988, "Hilkka")
    device.close()
    code, out, err = run(capsys, "sync", "--data-dir", str(device.path))
    assert code == 0, err
    assert "waiting 0" in out and "rejected 0" in out
    code, out, _err = run(capsys, "sync", "--data-dir", str(device.path))
    assert code == 0 and out.startswith("sent 0 ")


def test_sync_without_a_server_says_so_in_one_line_and_keeps_the_changes(capsys, data_dir):
    store = Store(data_dir)
    waiting = store.outbox.pending_count()
    store.close()
    code, _out, err = run(capsys, "sync", "--data-dir", str(data_dir))
    assert code == 2
    assert err.count("\n") == 1 and "not connected" in err
    code, _out, err = run(capsys, "sync", "--data-dir", str(data_dir), "--server", f"http://127.0.0.1:{free_port()}")
    assert code == 2 and "not connected" in err  # a server address alone is not a credential
    store = Store(data_dir)
    store.set_setting(SERVER, f"http://127.0.0.1:{free_port()}")
    store.set_setting(TOKEN, "demo.x")
    store.close()
    code, _out, err = run(capsys, "sync", "--data-dir", str(data_dir))
    assert code == 2
    assert err.count("\n") == 1 and "No connection to the central API" in err
    store = Store(data_dir)
    assert store.outbox.pending_count() == waiting > 0
    assert "No connection" in store.outbox.sync_status().last_error
    store.close()


def test_an_enrolled_device_connects_and_syncs_with_its_own_credential(capsys, server, data_dir):
    code, token, err = run(capsys, "device", "--db", server.db_url, "add", "--unit", "JL-KESK", "--register", "health", "--name", "Vastaanotto 1")
    assert code == 0 and "shown only now" in err
    token = token.strip()
    code, out, _err = run(capsys, "connect", "--data-dir", str(data_dir), "--server", server.url, "--token", token)
    assert code == 0 and server.url in out
    code, out, err = run(capsys, "sync", "--data-dir", str(data_dir))
    # The template device holds social contacts too, which this health device may not send.
    assert code == 0, err
    assert "rejected 0" not in out and "Rejected changes" in err
    code, listing, _err = run(capsys, "device", "--db", server.db_url, "list")
    device_id = next(line.split()[0] for line in listing.splitlines() if "Vastaanotto 1" in line)
    assert run(capsys, "device", "--db", server.db_url, "revoke", device_id)[0] == 0
    # No wait: a revocation counts at the server's next request (the credential check it
    # remembers for AUTH_CACHE_SECONDS does not outlive it).
    code, _out, err = run(capsys, "sync", "--data-dir", str(data_dir))
    assert code == 2 and "(401)" in err


def test_enrolling_for_an_unknown_unit_lists_the_known_ones(capsys, server):
    code, _out, err = run(capsys, "device", "--db", server.db_url, "add", "--unit", "NOPE", "--register", "health")
    assert code == 2 and "JL-KESK" in err and err.count("\n") == 1


def test_connect_refuses_plain_http_to_another_machine(capsys, data_dir):
    code, _out, err = run(capsys, "connect", "--data-dir", str(data_dir), "--server", "http://ohjaus.example.fi", "--token", "t")
    assert code == 2 and "https" in err


@pytest.mark.parametrize("argv", [["serve", "--db", "mysql://x"], ["device", "--db", "mysql://x", "list"]])
def test_a_database_url_of_another_kind_is_one_line(capsys, argv):
    code, _out, err = run(capsys, *argv)
    assert code == 2 and "postgresql://" in err and err.count("\n") == 1


def test_sync_of_a_missing_directory_is_one_line(capsys, tmp_path):
    code, _out, err = run(capsys, "sync", "--data-dir", str(tmp_path / "nothing"))
    assert code == 2 and "No data directory" in err


def test_the_rejected_changes_line_is_a_line_of_its_own_in_a_terminal(devices):
    """`ohjaus sync` in a terminal (stdout and stderr both on one pty, as a worker runs it):
    the round's summary, then the F6 line under it, in Finnish, never run together. The
    summary goes to stdout and the F6 line to stderr; a tool that reads the two streams apart
    and shows them one after the other without a line break may join them, the command does not."""
    import os
    import pty
    import subprocess
    import sys
    from datetime import datetime, timedelta

    from ohjaus_core.domain.clock import now
    from ohjaus_core.domain.codes import Register

    device = devices("health", "JL-KESK", ("health",))
    client = device.add_client(date(1984, 4, 4), 932, "Milla")
    device.store.bookings.record_missed_appointment(  # a register this device does not hold: refused
        client.id, now() - timedelta(days=2), device.worker().unit_id, now(), register=Register.SOCIAL
    )
    device.close()
    main_end, terminal = pty.openpty()
    env = {**os.environ, "OHJAUS_LANG": "fi"}
    process = subprocess.Popen(
        [sys.executable, "-m", "ohjaus", "sync", "--data-dir", str(device.path)],
        stdout=terminal, stderr=terminal, env=env,
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(main_end, 4096)
        except OSError:  # the command ended and closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(main_end)
    assert process.wait(120) == 0
    lines = shown.decode().replace("\r\n", "\n").splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("lähetetty ") and "hylätty 1" in lines[0] and lines[0].endswith("odottaa 0"), lines
    assert lines[1] == "Hylätyt muutokset ja ristiriidat näkyvät sovelluksen synkronointinäkymässä (F6).", lines
