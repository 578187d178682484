"""A small, strict DNS server for the DC locator tests (RFC 1035, RFC 2782): run in the DC's network
namespace (nsenter --net=), it answers on 127.0.0.1:53/udp from a zone given as JSON:

    {"srv": {"_ldap._tcp.dc._msdcs.smbfuse.test": [[priority, weight, port, "dc.smbfuse.test"], ...]},
     "a": {"dc.smbfuse.test": "127.0.0.1"}}

SRV and A queries of a name in the zone get its records (none: NOERROR with an empty answer); a name not
in the zone gets NXDOMAIN; anything malformed (a response, another opcode, not one question, compressed or
overlong names, trailing bytes) gets FORMERR. Names compare ignoring ASCII case. It prints "ready" once
bound and one line per query ("SRV name") to stdout, and runs until killed.

usage: dns_responder.py ZONE.json
"""
import json
import socket
import struct
import sys

T_A, T_SRV, C_IN = 1, 33, 1


def parse_name(data, off):
    labels = []
    while True:
        if off >= len(data):
            raise ValueError("name runs past the packet")
        n = data[off]
        off += 1
        if n == 0:
            break
        if n > 63 or off + n > len(data):  # a pointer (0xc0) or a label past the end: not in a question
            raise ValueError("bad label")
        labels.append(data[off:off + n].decode("ascii"))
        off += n
    name = ".".join(labels)
    if len(name) > 253:
        raise ValueError("name too long")
    return name.lower(), off


def enc_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def answer(data, zone):
    """The response to query data (bytes), or None to drop it."""
    if len(data) < 12:
        return None
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", data[:12])
    rd = flags & 0x0100
    hdr = lambda rcode, n: struct.pack(">HHHHHH", qid, 0x8000 | 0x0400 | rd | rcode, 1, n, 0, 0)
    try:
        if flags & 0x8000 or (flags >> 11) & 0xf or qd != 1 or an or ns:
            raise ValueError("not a standard query")
        name, off = parse_name(data, 12)
        if off + 4 > len(data):
            raise ValueError("short question")
        qtype, qclass = struct.unpack(">HH", data[off:off + 4])
        question = data[12:off + 4]
        # EDNS0 (one OPT record in the additional section) is allowed and ignored; nothing else follows.
        if ar > 1 or (ar == 0 and off + 4 != len(data)):
            raise ValueError("trailing bytes")
    except (ValueError, UnicodeDecodeError):
        return struct.pack(">HHHHHH", qid, 0x8000 | rd | 1, 0, 0, 0, 0)
    print(f"{ {T_A: 'A', T_SRV: 'SRV'}.get(qtype, qtype)} {name}", flush=True)
    srv, a = zone["srv"], zone["a"]
    if name not in srv and name not in a:
        return hdr(3, 0) + question
    rrs = []
    if qclass == C_IN and qtype == T_SRV:
        for prio, weight, port, target in srv.get(name, []):
            rdata = struct.pack(">HHH", prio, weight, port) + enc_name(target)
            rrs.append(enc_name(name) + struct.pack(">HHIH", T_SRV, C_IN, 60, len(rdata)) + rdata)
    if qclass == C_IN and qtype == T_A and name in a:
        rrs.append(enc_name(name) + struct.pack(">HHIH", T_A, C_IN, 60, 4) + socket.inet_aton(a[name]))
    return hdr(0, len(rrs)) + question + b"".join(rrs)


def main(zone_file):
    with open(zone_file) as f:
        z = json.load(f)
    zone = {"srv": {k.lower(): v for k, v in z.get("srv", {}).items()},
            "a": {k.lower(): v for k, v in z.get("a", {}).items()}}
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 53))
    print("ready", flush=True)
    while True:
        data, peer = s.recvfrom(4096)
        r = answer(data, zone)
        if r is not None:
            s.sendto(r, peer)


if __name__ == "__main__":
    main(sys.argv[1])
