"""The README's first command, as CI can run it: scripts/run.sh (make run)
starts a private Redis and the daemon, loads the demo event and stops both
on Ctrl-C; scripts/deps.sh (the dependency step of make run and make test)
says what is missing."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import rpc
from conftest import free_port, port_open

REPO = Path(__file__).resolve().parents[2]


def test_deps_is_silent_when_everything_is_installed(tmp_path):
    lst = tmp_path / "packages.txt"
    lst.write_text("# installed on any Debian\ncoreutils\n\ndpkg  # comment\n")
    res = subprocess.run(["sh", str(REPO / "scripts" / "deps.sh")],
                         env=dict(os.environ, DEPS_LIST=str(lst)),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=30)
    assert res.returncode == 0
    assert res.stdout == b"" and res.stderr == b""


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("runuser") is None,
                    reason="needs root to run the script as another user")
def test_deps_as_non_root_prints_the_one_install_line():
    # pytest's own temporary folders are private to root: use one that
    # the other user can enter.
    d = Path(tempfile.mkdtemp(prefix="expomatch-deps-"))
    try:
        os.chmod(d, 0o755)
        lst = d / "packages.txt"
        lst.write_text("coreutils\nno-such-package-expomatch\n")
        script = d / "deps.sh"
        shutil.copy(REPO / "scripts" / "deps.sh", script)
        os.chmod(lst, 0o644)
        os.chmod(script, 0o755)
        res = subprocess.run(["runuser", "-u", "nobody", "--", "sh",
                              str(script)],
                             env=dict(os.environ, DEPS_LIST=str(lst)),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             timeout=30)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    assert res.returncode == 1, res.stderr
    lines = res.stderr.decode().splitlines()
    assert "apt-get install no-such-package-expomatch" in lines, lines


def test_make_run_starts_redis_and_daemon_loads_demo_and_stops_on_ctrl_c(
        tmp_path):
    var = tmp_path / "var"
    ports = {"REDIS_PORT": free_port(), "EXPOMATCH_PORT": free_port(),
             "EXPOMATCH_HTTP_PORT": free_port()}
    env = dict(os.environ, EXPOMATCH_VAR=str(var),
               **{k: str(v) for k, v in ports.items()})
    out = open(tmp_path / "run.out", "wb")
    proc = subprocess.Popen(["sh", str(REPO / "scripts" / "run.sh")], env=env,
                            stdout=out, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while b"expomatch is running" not in (tmp_path / "run.out").read_bytes():
            assert proc.poll() is None, (tmp_path / "run.out").read_text()
            assert time.monotonic() < deadline, "not running after 60 s"
            time.sleep(0.1)
        # secrets were made, private
        for name in ("secret.key", "admin.token"):
            assert (var / name).stat().st_mode & 0o077 == 0
        token = (var / "admin.token").read_text().strip()
        with rpc.Client(ports["EXPOMATCH_PORT"]) as c:
            c.call("auth", token=token)
            demo = c.call("event.get", event="demo")
            assert len(demo["slots"]) == 16
            ids, cursor = [], None
            while True:
                page = c.call("profile.list", event="demo", count=100,
                              **({"cursor": cursor} if cursor else {}))
                ids += [p["id"] for p in page["profiles"]]
                cursor = page["cursor"]
                if cursor is None:
                    break
            assert len(ids) >= 30
            scripts = {p["company"] for p in page["profiles"]}
            assert any(any("\u0e00" <= ch <= "\u0e7f" for ch in s)
                       for s in scripts), "no Thai company in the demo"
        # Ctrl-C: both stop, the script exits 0
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0, (tmp_path / "run.out").read_text()
        assert not port_open(ports["EXPOMATCH_PORT"])
        assert not port_open(ports["REDIS_PORT"])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        out.close()
