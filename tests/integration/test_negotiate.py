"""How the default dialect choice looks on the wire (src/proto/client.c, session.c): with no vers= the first
connection opens with a multi-protocol SMB1 NEGOTIATE offering "NT LM 0.12", "SMB 2.002" and "SMB 2.???"
(MS-SMB2 3.2.4.2.1), and goes on in SMB2 on the same connection when the server picks it; vers=2.0 and later
never put an SMB1 frame on the wire. tshark captures the test smbd's port; smbstatus says what was agreed.
"""
import os
import signal
import socket
import threading

import pytest

import smbfixture as sf

pytestmark = pytest.mark.timeout(120)

NT1 = {"server min protocol": "NT1", "server max protocol": "NT1"}
MP_DIALECTS = ["NT LM 0.12", "SMB 2.002", "SMB 2.???"]


def smb_messages(cap):
    """Every SMB1 and SMB2 message on the wire, in order, as dicts: stream, proto (1 or 2), cmd, rsp, id,
    dialects (the request's list, or the reply's choice)."""
    out = []
    rows = cap.fields("smb || smb2", "tcp.stream", "smb.cmd", "smb.flags.response", "smb.dialect.name",
                      "smb2.cmd", "smb2.flags.response", "smb2.msg_id", "smb2.dialect")
    for stream, cmd1, rsp1, names, cmd2, rsp2, mid2, dial2 in rows:
        if cmd1:  # an AndX chain lists every command of the one message: the first is its own
            out.append(dict(stream=int(stream), proto=1, cmd=int(cmd1.split(",")[0], 0),
                            rsp=rsp1.split(",")[0] in ("1", "True"), id=None,
                            dialects=names.split(",") if names else []))
        for i, c in enumerate(cmd2.split(",") if cmd2 else []):
            out.append(dict(stream=int(stream), proto=2, cmd=int(c, 0),
                            rsp=rsp2.split(",")[i] in ("1", "True"), id=int(mid2.split(",")[i]),
                            dialects=dial2.split(",") if dial2 and int(c, 0) == 0 else []))
    return out


def negotiates(cap):
    """The NEGOTIATE messages (SMB1 0x72, SMB2 0) of the first connection that carried SMB, and how many
    connections carried SMB at all."""
    msgs = [m for m in smb_messages(cap) if (m["proto"], m["cmd"]) in ((1, 0x72), (2, 0))]
    streams = sorted({m["stream"] for m in smb_messages(cap)})
    assert streams, "no SMB on the wire"
    return [m for m in msgs if m["stream"] == streams[0]], len(streams)


def mount_captured(mount, capture, srv, opts=None):
    cap = capture(srv.port)
    try:
        m = mount(srv=srv, opts=opts or {})
        (m.path / "f").write_text("negotiated")
        assert (m.backing / "f").read_text() == "negotiated"
    finally:
        cap.stop()
    return m, cap


def test_server_offering_smb2_gets_smb2_although_smb1_was_offered(mount, samba_server, capture):
    srv = samba_server(**{"server min protocol": "NT1"})
    m, cap = mount_captured(mount, capture, srv)
    neg, conns = negotiates(cap)
    shape = [(x["proto"], x["rsp"], x["id"]) for x in neg]
    # SMB1 request, SMB2 "2.???" reply as MessageId 0, then a real SMB2 NEGOTIATE as MessageId 1.
    assert shape == [(1, False, None), (2, True, 0), (2, False, 1), (2, True, 1)], neg
    assert neg[0]["dialects"] == MP_DIALECTS, neg
    assert neg[1]["dialects"] == ["0x02ff"], neg
    assert conns == 1, "the multi-protocol negotiate must go on in SMB2 on the same connection"
    assert [s["protocol"] for s in sf.negotiated(srv)] == ["SMB3_11"]
    assert "SMB1" not in m.stderr(), m.stderr()


def test_multi_protocol_answered_with_2_002_is_the_whole_negotiate(mount, samba_server, capture):
    srv = samba_server(**{"server min protocol": "NT1", "server max protocol": "SMB2_02"})
    m, cap = mount_captured(mount, capture, srv)
    neg, conns = negotiates(cap)
    assert [(x["proto"], x["rsp"]) for x in neg] == [(1, False), (2, True)], neg
    assert neg[1]["dialects"] == ["0x0202"], neg
    assert conns == 1
    assert [s["protocol"] for s in sf.negotiated(srv)] == ["SMB2_02"]


def test_smb1_only_server_answers_in_smb1(mount, samba_server, capture):
    srv = samba_server(**NT1)
    m, cap = mount_captured(mount, capture, srv)
    neg, _ = negotiates(cap)
    assert [(x["proto"], x["rsp"]) for x in neg] == [(1, False), (1, True)], neg
    assert neg[0]["dialects"] == MP_DIALECTS, neg
    assert [s["protocol"] for s in sf.negotiated(srv)] == ["NT1"]
    assert "speaks only SMB1" in m.stderr(), m.stderr()


@pytest.mark.parametrize("vers", ["2.0", "3.1.1"])
def test_explicit_smb2_vers_sends_no_smb1(mount, samba_server, capture, vers):
    srv = samba_server(**{"server min protocol": "NT1"})
    m, cap = mount_captured(mount, capture, srv, {"vers": vers})
    neg, conns = negotiates(cap)
    assert [(x["proto"], x["rsp"], x["id"]) for x in neg] == [(2, False, 0), (2, True, 0)], neg
    assert not [x for x in smb_messages(cap) if x["proto"] == 1]


def test_reconnect_negotiates_smb2_directly(mount, samba_server, capture):
    """The server has shown it speaks SMB2: a new connection after a loss does not ask again."""
    srv = samba_server(**{"server min protocol": "NT1"})
    m = mount(srv=srv)
    (m.path / "f").write_text("before")
    cap = capture(srv.port)
    try:
        pid = int(sf.mount_sessions(srv, m)[0]["pid"])
        os.kill(pid, signal.SIGKILL)
        sf.wait_until(lambda: not os.path.exists(f"/proc/{pid}"), 10, what=f"smbd child {pid} to exit")
        (m.path / "g").write_text("after")  # a new file: nothing cached can answer for it
        assert (m.backing / "g").read_text() == "after"
    finally:
        cap.stop()
    neg, _ = negotiates(cap)
    assert [(x["proto"], x["id"]) for x in neg][:1] == [(2, 0)], neg


class Smb1Refuser:
    """A TCP relay to smbd that closes every connection whose first message is SMB1, as some SMB2-only
    servers do, and relays the others unchanged. Counts both kinds."""

    def __init__(self, port):
        self.target = port
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.refused = self.relayed = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        first = b""
        while len(first) < 8:
            b = c.recv(8 - len(first))
            if not b:
                c.close()
                return
            first += b
        if first[4:8] == b"\xffSMB":
            self.refused += 1
            c.close()
            return
        self.relayed += 1
        s = socket.create_connection(("127.0.0.1", self.target))
        s.sendall(first)
        for a, b in ((c, s), (s, c)):
            threading.Thread(target=sf.relay, args=(a, b), daemon=True).start()

    def close(self):
        self.sock.close()


def test_server_closing_on_smb1_is_asked_in_smb2(mount, samba_server):
    srv = samba_server()
    relay = Smb1Refuser(srv.port)
    try:
        m = mount(srv=srv, opts={"port": str(relay.port)}, extra_args=["--verbose"])
        (m.path / "f").write_text("via relay")
        assert (m.backing / "f").read_text() == "via relay"
    finally:
        relay.close()
    assert relay.refused == 1 and relay.relayed >= 1, (relay.refused, relay.relayed)
    assert "negotiating SMB2 alone" in m.stderr(), m.stderr()
    assert [s["protocol"] for s in sf.negotiated(srv)] == ["SMB3_11"]
