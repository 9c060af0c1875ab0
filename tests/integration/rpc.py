"""A small MessagePack-RPC client for the integration tests.

Written against the wire contract only: requests are `[0, msgid, method,
params]`, responses `[1, msgid, error, result]`, notifications `[2, method,
params]`. Every socket has a timeout, so a daemon that hangs makes a test
fail instead of stalling the suite.
"""
import collections
import socket
import time

import msgpack

DEFAULT_TIMEOUT = 5.0


class RpcError(Exception):
    """An error response: `code` and `message` from the error map."""

    def __init__(self, code, message, msgid=None):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message
        self.msgid = msgid


class ConnectionClosed(Exception):
    """The server closed the connection while we waited for a message."""


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def request_bytes(msgid, method, args=None, params=None):
    """The bytes of one request. `params` (a list) wins over `args` (a map)."""
    if params is None:
        params = [] if args is None else [args]
    return pack([0, msgid, method, params])


def raw_str(data):
    """A MessagePack str holding `data` (bytes) verbatim, valid UTF-8 or not."""
    n = len(data)
    if n < 32:
        head = bytes([0xA0 | n])
    elif n < 256:
        head = b"\xd9" + bytes([n])
    elif n < 65536:
        head = b"\xda" + n.to_bytes(2, "big")
    else:
        head = b"\xdb" + n.to_bytes(4, "big")
    return head + data


class Client:
    """One connection. `call` sends one request and waits for its reply."""

    def __init__(self, port=None, host="127.0.0.1", unix_path=None,
                 timeout=DEFAULT_TIMEOUT, rcvbuf=None, sndbuf=None):
        if unix_path is not None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target = unix_path
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            target = (host, port)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if sndbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        self.sock.settimeout(timeout)
        self.timeout = timeout
        try:
            self.sock.connect(target)
        except Exception:
            self.sock.close()
            raise
        self.unpacker = msgpack.Unpacker(raw=False, strict_map_key=False,
                                         max_buffer_size=256 * 1024 * 1024)
        self.next_id = 1
        self.closed_by_peer = False
        # Notifications `[2, method, params]` that arrived while a reply
        # was awaited, oldest first (see wait_notification).
        self.notifications = collections.deque()

    # -- plumbing -------------------------------------------------------

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def local_port(self):
        return self.sock.getsockname()[1]

    def send_raw(self, data):
        self.sock.sendall(data)

    def _fill(self, timeout=None):
        """Read once from the socket into the unpacker; ConnectionClosed on EOF."""
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 20)
        except ConnectionResetError:
            data = b""
        finally:
            if timeout is not None:
                self.sock.settimeout(self.timeout)
        if not data:
            self.closed_by_peer = True
            raise ConnectionClosed("server closed the connection")
        self.unpacker.feed(data)

    def read_msg(self, timeout=None):
        """The next whole MessagePack object from the server."""
        deadline = time.monotonic() + (timeout if timeout is not None
                                       else self.timeout)
        while True:
            try:
                return next(self.unpacker)
            except StopIteration:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no message within the timeout")
            self._fill(left)

    def read_response(self, timeout=None):
        """The next response; notifications before it are kept aside."""
        deadline = time.monotonic() + (timeout if timeout is not None
                                       else self.timeout)
        while True:
            msg = self.read_msg(max(deadline - time.monotonic(), 0.001))
            if is_notification(msg):
                self.notifications.append(msg)
                continue
            assert isinstance(msg, list) and len(msg) == 4 and msg[0] == 1, \
                "not a response: %r" % (msg,)
            return msg

    def wait_notification(self, timeout=None):
        """The oldest notification not yet taken, as (method, params);
        reads until one arrives. Raises socket.timeout if none comes."""
        deadline = time.monotonic() + (timeout if timeout is not None
                                       else self.timeout)
        while not self.notifications:
            msg = self.read_msg(max(deadline - time.monotonic(), 0.001))
            assert is_notification(msg), "not a notification: %r" % (msg,)
            self.notifications.append(msg)
        _, method, params = self.notifications.popleft()
        return method, params

    def read_until_closed(self, timeout=None):
        """Read messages until the server closes; return them. Raises
        socket.timeout if the connection is still open after `timeout`."""
        deadline = time.monotonic() + (timeout if timeout is not None
                                       else self.timeout)
        msgs = []
        while True:
            try:
                msgs.append(next(self.unpacker))
                continue
            except StopIteration:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("connection still open after timeout")
            try:
                self._fill(left)
            except ConnectionClosed:
                # whatever arrived before EOF is in the unpacker already
                for m in self.unpacker:
                    msgs.append(m)
                return msgs

    def is_closed(self, timeout=0.5):
        """True when the server closed the connection (EOF or reset) within
        `timeout`; False when it stays open and silent."""
        try:
            self.read_until_closed(timeout)
            return True
        except socket.timeout:
            return False

    # -- requests -------------------------------------------------------

    def new_msgid(self):
        msgid = self.next_id
        self.next_id = (self.next_id + 1) & 0xFFFFFFFF
        return msgid

    def request(self, method, args=None, params=None, msgid=None,
                timeout=None):
        """Send one request and return the raw response `[1, id, err, res]`."""
        if msgid is None:
            msgid = self.new_msgid()
        self.send_raw(request_bytes(msgid, method, args, params))
        resp = self.read_response(timeout)
        assert resp[1] == msgid, "response msgid %r, expected %r" % (
            resp[1], msgid)
        return resp

    def call(self, method, _args=None, **kwargs):
        """Call `method` with named arguments; return the result or raise
        RpcError(code, message)."""
        args = dict(_args or {})
        args.update(kwargs)
        resp = self.request(method, args)
        return result_of(resp)

    def notify(self, method, params=None):
        self.send_raw(pack([2, method, [] if params is None else params]))

    def pipeline(self, calls, timeout=None):
        """Send every (method, args) of `calls` in one write; return the raw
        responses in arrival order, after checking their msgids match the
        requests in order."""
        ids = []
        chunks = []
        for method, args in calls:
            msgid = self.new_msgid()
            ids.append(msgid)
            chunks.append(request_bytes(msgid, method, args))
        self.send_raw(b"".join(chunks))
        out = []
        for msgid in ids:
            resp = self.read_response(timeout)
            out.append(resp)
        got = [r[1] for r in out]
        assert got == ids, "responses out of order: %r... expected %r..." % (
            got[:10], ids[:10])
        return out


def is_notification(msg):
    return isinstance(msg, list) and len(msg) == 3 and msg[0] == 2


def result_of(resp):
    """Result of a raw response, or raise RpcError."""
    _, msgid, err, res = resp
    if err is not None:
        assert res is None, "both error and result set: %r" % (resp,)
        if isinstance(err, dict):
            raise RpcError(err.get("code"), err.get("message"), msgid)
        raise RpcError(None, repr(err), msgid)
    return res


def error_of(resp):
    """(code, message) of a raw error response; fails if it is a success."""
    _, _, err, res = resp
    assert err is not None, "expected an error, got result %r" % (res,)
    assert res is None, "both error and result set: %r" % (resp,)
    assert isinstance(err, dict), "error is not a map: %r" % (err,)
    return err.get("code"), err.get("message")
