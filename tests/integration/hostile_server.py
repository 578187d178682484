"""A TCP relay on 127.0.0.1 in front of a real smbd that turns hostile on command.

Until arm() is called it relays every frame unchanged both ways (Direct TCP framing, MS-SMB2 2.1), so the
negotiate, the NTLM logon and the tree connect are Samba's own; from then on every frame from the server
to the client is mangled according to `mode`:

    big          a 16 MiB length prefix and nothing after it (the connection stays open)
    garbage      a 64-byte frame whose ProtocolId is not SMB2
    stall        nothing at all (the server "hangs"; the connection stays open)
    stall_mid    the first 30 bytes of the frame, then nothing
    huge_credits CreditResponse 65535 in every header (legal if odd: the mount must keep working)
    bad_dir      QUERY_DIRECTORY: the first entry's NextEntryOffset points outside the buffer
    short_read   READ: DataLength 100000 bytes larger than what the frame carries
    names        QUERY_DIRECTORY: names q1, q2a, q3a, q4a become "..", "a/b", "a\\b", "a\\0b"

arm_at_start=True arms before the first frame (to misbehave in the negotiate). One daemon thread per
direction and connection; close() ends them. Compound responses are walked by NextCommand.
"""
import socket
import struct
import threading

from smb1_chain_proxy import read_frame

SMB2_READ, SMB2_QUERY_DIRECTORY = 0x0008, 0x000E
NAMES = {"q1": "..", "q2a": "a/b", "q3a": "a\\b", "q4a": "a\x00b"}


def _messages(frame):
    """Offsets (into frame) of each SMB2 message of a plain frame, by NextCommand."""
    off = 4
    while off + 64 <= len(frame) and frame[off:off + 4] == b"\xfeSMB":
        yield off
        nxt = struct.unpack_from("<I", frame, off + 20)[0]
        if not nxt:
            return
        off += nxt


def _mangle(mode, frame):
    f = bytearray(frame)
    for o in _messages(frame):
        cmd, status = struct.unpack_from("<H", f, o + 12)[0], struct.unpack_from("<I", f, o + 8)[0]
        body = o + 64
        if mode == "huge_credits":
            struct.pack_into("<H", f, o + 14, 65535)
        elif mode == "short_read" and cmd == SMB2_READ and status == 0:
            n = struct.unpack_from("<I", f, body + 4)[0]
            struct.pack_into("<I", f, body + 4, n + 100000)
        elif mode in ("bad_dir", "names") and cmd == SMB2_QUERY_DIRECTORY and status == 0:
            boff, blen = struct.unpack_from("<HI", f, body + 2)
            start = o + boff
            if mode == "bad_dir" and blen >= 4:
                struct.pack_into("<I", f, start, blen + 4096)
            elif mode == "names":
                for old, new in NAMES.items():
                    a, b = old.encode("utf-16-le"), new.encode("utf-16-le")
                    i = f.find(a, start, start + blen)
                    if i >= 0:
                        f[i:i + len(a)] = b
    return bytes(f)


class HostileRelay:
    def __init__(self, target_port, mode, arm_at_start=False):
        self.target_port, self.mode = target_port, mode
        self.armed = threading.Event()
        if arm_at_start:
            self.armed.set()
        self.mangled = 0
        self._lock = threading.Lock()
        self._socks = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self):
        self.armed.set()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._socks += [client, server]
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _out(self, frame):
        """What the client gets instead of frame (None: nothing, and nothing more on this connection)."""
        m = self.mode
        if m == "big":
            return b"\x00\xff\xff\xff", True
        if m == "garbage":
            return b"\x00\x00\x00\x40" + b"GARB" * 16, True
        if m == "stall":
            return b"", True
        if m == "stall_mid":
            return frame[:30], True
        return _mangle(m, frame), False

    def _pump(self, src, dst, from_server):
        silent = False
        try:
            while True:
                frame = read_frame(src)
                if frame is None:
                    break
                if from_server and self.armed.is_set() and frame[0] == 0:
                    if silent:
                        continue
                    frame, silent = self._out(frame)
                    with self._lock:
                        self.mangled += 1
                dst.sendall(frame)
        except OSError:
            pass
        finally:
            if not silent:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

    def close(self):
        self.listener.close()
        with self._lock:
            for s in self._socks:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
