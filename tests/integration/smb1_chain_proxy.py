"""A TCP proxy on 127.0.0.1 that plays an SMB1 server refusing AndX chains, in front of a real smbd.

Minimal SMB1 servers (NAS and printer firmware) parse only the first command of a request and fail one that
chains another onto SESSION_SETUP_ANDX; Samba and Windows accept the chain, so smbfuse's way around the
refusal (src/session/smb1_session.c, chain_refusal) cannot be met against them. The proxy relays every
message unchanged both ways, except an SMB1 SESSION_SETUP_ANDX request whose AndXCommand is not 0xFF
(MS-CIFS 2.2.4.53.1): that one never reaches smbd, and the proxy answers it itself with an error response
(MS-CIFS 2.2.3.1 header: the request's TID, PID, UID and MID, the reply flag; WordCount 0, ByteCount 0).

    status="nt"    STATUS_NOT_SUPPORTED as an NT status (FLAGS2_NT_STATUS set)
    status="dos"   ERRSRV/ERRerror as a DOS error (FLAGS2_NT_STATUS clear), as pre-NT servers answer

Framing: Direct TCP (a zero byte and a 24-bit length, MS-SMB2 2.1) and NBSS (RFC 1002 4.3.1: type, flags,
16-bit length) share the first byte's meaning and, below 64 KiB, the length; the length is read as 24 bits
for session messages, which covers both. `refused` counts the requests answered here, `connections` the
clients seen. One daemon thread per direction and connection; close() ends them.
"""
import socket
import struct
import threading

SMB1_MAGIC = b"\xffSMB"
SMB1_COM_SESSION_SETUP_ANDX = 0x73
SMB1_FLAGS_REPLY = 0x80
SMB1_FLAGS2_NT_STATUS = 0x4000
SMB1_HDR_SIZE = 32
STATUS_NOT_SUPPORTED = 0xC00000BB
ERRSRV, ERRERROR = 0x02, 0x0001
NO_ANDX = 0xFF


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_frame(sock):
    """One whole frame (header included), or None at the end of the stream."""
    head = recv_exact(sock, 4)
    if head is None:
        return None
    if head[0] == 0:
        length = int.from_bytes(head[1:4], "big")
    else:  # NBSS control messages: a 17-bit length (the low flag bit extends it)
        length = ((head[1] & 1) << 16) | struct.unpack(">H", head[2:4])[0]
    body = recv_exact(sock, length)
    return None if body is None else head + body


def chained_session_setup(frame):
    """True for an SMB1 SESSION_SETUP_ANDX request with another command chained to it."""
    msg = frame[4:]
    if frame[0] != 0 or len(msg) < SMB1_HDR_SIZE + 3 or msg[:4] != SMB1_MAGIC:
        return False
    if msg[4] != SMB1_COM_SESSION_SETUP_ANDX or msg[9] & SMB1_FLAGS_REPLY:
        return False
    word_count, andx_command = msg[SMB1_HDR_SIZE], msg[SMB1_HDR_SIZE + 1]
    return word_count >= 2 and andx_command != NO_ANDX


def error_response(frame, status):
    """The error answer to the request in frame: its header turned into a reply, no words, no bytes."""
    h = bytearray(frame[4:4 + SMB1_HDR_SIZE])
    flags2 = struct.unpack_from("<H", h, 10)[0]
    if status == "dos":
        struct.pack_into("<BBH", h, 5, ERRSRV, 0, ERRERROR)
        flags2 &= ~SMB1_FLAGS2_NT_STATUS
    else:
        struct.pack_into("<I", h, 5, STATUS_NOT_SUPPORTED)
        flags2 |= SMB1_FLAGS2_NT_STATUS
    h[9] |= SMB1_FLAGS_REPLY
    struct.pack_into("<H", h, 10, flags2)
    h[14:22] = bytes(8)  # SecuritySignature: nothing is signed before the logon completes
    msg = bytes(h) + b"\x00" + struct.pack("<H", 0)
    return b"\x00" + len(msg).to_bytes(3, "big") + msg


class ChainRefusingProxy:
    def __init__(self, target_port, status="nt"):
        assert status in ("nt", "dos")
        self.target_port, self.status = target_port, status
        self.refused = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._socks = []
        self._closed = False
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._closed:
                    client.close()
                    server.close()
                    return
                self.connections += 1
                self._socks += [client, server]
            send_lock = threading.Lock()  # the client hears from both threads: whole frames only
            threading.Thread(target=self._pump, args=(client, server, send_lock, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, send_lock, False), daemon=True).start()

    def _pump(self, src, dst, client_lock, from_client):
        try:
            while True:
                frame = read_frame(src)
                if frame is None:
                    break
                if from_client and chained_session_setup(frame):
                    with self._lock:
                        self.refused += 1
                    with client_lock:
                        src.sendall(error_response(frame, self.status))
                    continue
                if from_client:
                    dst.sendall(frame)
                else:
                    with client_lock:
                        dst.sendall(frame)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        with self._lock:
            self._closed = True
            socks, self._socks = self._socks, []
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept(); close() alone would not
        except OSError:
            pass
        self.listener.close()
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
