"""A client that pipelines without reading replies is no longer read from
(back-pressure): the daemon's memory stays bounded, other clients are served
meanwhile, and reading later drains every reply in order."""
import socket
import threading
import time

import rpc

MiB = 1024 * 1024
TOTAL_BYTES = 20 * MiB


def daemon_rx_queue(daemon_port, client_port):
    """Bytes waiting unread in the daemon's receive queue for the connection
    from client_port, from /proc/net/tcp (None if not found)."""
    want_local = "0100007F:%04X" % daemon_port
    want_remote = "0100007F:%04X" % client_port
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            parts = line.split()
            if parts[1] == want_local and parts[2] == want_remote:
                return int(parts[4].split(":")[1], 16)
    return None


def test_pipelining_without_reading_is_back_pressured(daemon):
    # msgids 1..n, each request packed on its own (13 bytes from msgid 65536)
    n = TOTAL_BYTES // 13
    payload = b"".join(rpc.request_bytes(i, "ping") for i in range(1, n + 1))
    assert len(payload) >= TOTAL_BYTES * 0.9

    hog = rpc.Client(daemon.port, timeout=60, rcvbuf=64 * 1024,
                     sndbuf=64 * 1024)
    sent = [0]
    error = []

    def sender():
        view = memoryview(payload)
        try:
            while sent[0] < len(payload):
                k = hog.sock.send(view[sent[0]:sent[0] + 65536])
                sent[0] += k
        except Exception as e:          # noqa: BLE001 - reported below
            error.append(e)

    rss_before = daemon.status()["VmRSS"]
    t = threading.Thread(target=sender, daemon=True)
    t.start()
    try:
        # wait until the sender makes no progress for a while (bounded)
        deadline = time.monotonic() + 20
        last, stable_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if sent[0] != last:
                last, stable_since = sent[0], time.monotonic()
            elif time.monotonic() - stable_since > 1.0:
                break
        assert not error, error
        # the daemon has stopped reading this connection: bytes wait unread
        # in its receive queue, and stay there
        q1 = daemon_rx_queue(daemon.port, hog.local_port())
        time.sleep(0.5)
        q2 = daemon_rx_queue(daemon.port, hog.local_port())
        assert q1 is not None and q1 > 0, (q1, sent[0])
        assert q2 == q1, (q1, q2)
        assert sent[0] < len(payload) or q1 > 0
        # its memory stays bounded (KiB; growth, so that an ASan build's own
        # overhead does not count)
        st = daemon.status()
        assert st["VmRSS"] - rss_before < 150 * 1024, (rss_before, st)
        # and another client is served meanwhile
        with daemon.client(timeout=2) as other:
            t0 = time.monotonic()
            assert other.call("ping") == "pong"
            assert other.call("server.info")["protocol"] == 1
            assert time.monotonic() - t0 < 1.0
        # now read: every reply arrives, in order
        hog.sock.settimeout(10)
        expect = 1
        read_deadline = time.monotonic() + 60
        while expect <= n:
            assert time.monotonic() < read_deadline, "drain too slow at %d" \
                % expect
            try:
                hog._fill()
            except socket.timeout:
                raise AssertionError("no reply after %d of %d" % (expect, n))
            for msg in hog.unpacker:
                assert msg[1] == expect and msg[3] == "pong", (msg, expect)
                expect += 1
        t.join(10)
        assert not t.is_alive()
        assert sent[0] == len(payload)
    finally:
        hog.close()
        t.join(5)
