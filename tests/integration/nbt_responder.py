"""Scripted NetBIOS peers for the tests (RFC 1001/1002), on 127.0.0.1 only.

NbnsResponder   a UDP name server on a free port: answers NAME QUERY for the names it is given, a
                negative response (NAM_ERR) for others, or nothing at all (silent=True); answers NODE
                STATUS with its name table. Records every request it received.
NbssGate        a TCP listener that plays a Windows-like port 139: it refuses the SESSION REQUEST unless
                the called name is one it accepts (NEGATIVE SESSION RESPONSE 0x82), then relays the
                session to a real smbd. Records every called/calling name pair. With keepalives=N it
                sends N SESSION KEEP ALIVE frames (RFC 1002 4.3.7) before the first relayed byte, where
                they cannot split a message.

Both run one daemon thread and are stopped with close(); nothing here sleeps.
"""
import select
import socket
import struct
import threading


def nb_encode(name, suffix):
    raw = name.upper().encode().ljust(15, b" ")[:15] + bytes([suffix])
    return bytes([32]) + bytes(b for c in raw for b in (0x41 + (c >> 4), 0x41 + (c & 15))) + b"\0"


def nb_decode(data, off):
    """(name, suffix, next offset) of the plain encoded name at off."""
    if data[off] != 32:
        raise ValueError("not a plain NetBIOS name")
    enc = data[off + 1:off + 33]
    raw = bytes(((enc[2 * i] - 0x41) << 4) | (enc[2 * i + 1] - 0x41) for i in range(16))
    return raw[:15].rstrip(b" \0").decode(), raw[15], off + 34


class NbnsResponder:
    def __init__(self, names=None, silent=False, status_names=()):
        self.names = {k.upper(): v for k, v in (names or {}).items()}  # "NAME" -> "a.b.c.d"
        self.silent = silent
        self.status_names = list(status_names)  # [(name, suffix, group)]
        self.requests = []  # (flags, name, suffix, qtype)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stop = socket.socketpair()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _answer(self, data):
        trn, flags = struct.unpack(">HH", data[:4])
        name, suffix, off = nb_decode(data, 12)
        qtype = struct.unpack(">H", data[off:off + 2])[0]
        self.requests.append((flags, name, suffix, qtype))
        if self.silent:
            return None
        if qtype == 0x21:
            rdata = bytes([len(self.status_names)])
            for n, s, group in self.status_names:
                rdata += n.encode().ljust(15, b" ") + bytes([s]) + struct.pack(">H", 0x8400 if group else 0x0400)
            rdata += bytes.fromhex("0200c0a80101") + bytes(40)
            return (struct.pack(">HHHHHH", trn, 0x8400, 0, 1, 0, 0) + data[12:off]
                    + struct.pack(">HHIH", 0x21, 1, 0, len(rdata)) + rdata)
        addr = self.names.get(name.upper())
        if addr is None:
            return struct.pack(">HHHHHH", trn, 0x8583, 0, 1, 0, 0) + data[12:off] + struct.pack(">HHIH", 0x20, 1, 0, 0)
        rdata = struct.pack(">H", 0) + socket.inet_aton(addr)
        return (struct.pack(">HHHHHH", trn, 0x8580, 0, 1, 0, 0) + data[12:off]
                + struct.pack(">HHIH", 0x20, 1, 300, len(rdata)) + rdata)

    def _run(self):
        while True:
            r, _, _ = select.select([self.sock, self._stop[0]], [], [])
            if self._stop[0] in r:
                return
            data, peer = self.sock.recvfrom(2048)
            rsp = self._answer(data)
            if rsp:
                self.sock.sendto(rsp, peer)

    def close(self):
        self._stop[1].send(b"x")
        self.thread.join(10)
        self.sock.close()
        for s in self._stop:
            s.close()


class NbssGate:
    def __init__(self, backend_port, accept_names=("*SMBSERVER",), keepalives=0):
        self.backend_port = backend_port
        self.keepalives = keepalives
        self.accept = {n.upper() for n in accept_names}
        self.requests = []  # (called, called suffix, calling, calling suffix)
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        self._stop = socket.socketpair()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @staticmethod
    def _recv_exact(s, n):
        b = b""
        while len(b) < n:
            k = s.recv(n - len(b))
            if not k:
                raise ConnectionError("peer closed")
            b += k
        return b

    def _session(self, c):
        c.settimeout(10)
        hdr = self._recv_exact(c, 4)
        body = self._recv_exact(c, struct.unpack(">H", hdr[2:])[0])
        called, csfx, off = nb_decode(body, 0)
        calling, gsfx, _ = nb_decode(body, off)
        self.requests.append((called, csfx, calling, gsfx))
        if hdr[0] != 0x81 or called.upper() not in self.accept:
            c.sendall(b"\x83\x00\x00\x01\x82")
            c.close()
            return
        c.sendall(b"\x82\x00\x00\x00" + b"\x85\x00\x00\x00" * self.keepalives)
        b = socket.create_connection(("127.0.0.1", self.backend_port))
        # smbd speaks Direct TCP on its port: the session messages relay unchanged.
        threading.Thread(target=self._relay, args=(c, b), daemon=True).start()

    def _relay(self, a, b):
        a.settimeout(None)
        try:
            while True:
                r, _, _ = select.select([a, b, self._stop[0]], [], [])
                if self._stop[0] in r:
                    break
                src, dst = (a, b) if a in r else (b, a)
                d = src.recv(65536)
                if not d:
                    break
                dst.sendall(d)
        except OSError:
            pass
        finally:
            a.close()
            b.close()

    def _run(self):
        while True:
            r, _, _ = select.select([self.lsock, self._stop[0]], [], [])
            if self._stop[0] in r:
                return
            c, _ = self.lsock.accept()
            try:
                self._session(c)
            except (OSError, ValueError, ConnectionError):
                c.close()

    def close(self):
        self._stop[1].send(b"x")
        self.thread.join(10)
        self.lsock.close()
