#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Independent NTLMv2 reference (MS-NLMP 3.3.2, 3.4.5) for cross-checking src/auth/ntlm.c.

Written from the spec with hashlib/hmac only. Python's hashlib has no MD4 on OpenSSL 3 without the legacy
provider, so MD4 (RFC 1320) and RC4 are written out here, independently of the C versions.

Usage: ntlm_ref.py selftest            -- MS-NLMP 4.2.4 values
       ntlm_ref.py v2 USER DOMAIN PASSWORD SERVER_CHALLENGE_HEX CLIENT_CHALLENGE_HEX TIME_HEX TARGETINFO_HEX KEY_HEX
            prints: NTProofStr, NTChallengeResponse, SessionBaseKey, EncryptedRandomSessionKey (hex, one per line)
"""
import hashlib
import hmac
import struct
import sys


def _rotl(x, n):
    x &= 0xFFFFFFFF
    return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF


def md4(msg):
    msg = bytes(msg)
    bitlen = (8 * len(msg)) & 0xFFFFFFFFFFFFFFFF
    msg += b"\x80" + b"\x00" * ((55 - len(msg)) % 64) + struct.pack("<Q", bitlen)
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476]
    F = lambda x, y, z: (x & y) | (~x & z)
    G = lambda x, y, z: (x & y) | (x & z) | (y & z)
    H = lambda x, y, z: x ^ y ^ z
    for off in range(0, len(msg), 64):
        X = struct.unpack("<16I", msg[off:off + 64])
        a, b, c, d = h
        for i in range(16):
            k = i
            s = (3, 7, 11, 19)[i % 4]
            a, b, c, d = d, _rotl(a + F(b, c, d) + X[k], s), b, c
        for i in range(16):
            k = (i % 4) * 4 + i // 4
            s = (3, 5, 9, 13)[i % 4]
            a, b, c, d = d, _rotl(a + G(b, c, d) + X[k] + 0x5A827999, s), b, c
        for i in range(16):
            k = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)[i]
            s = (3, 9, 11, 15)[i % 4]
            a, b, c, d = d, _rotl(a + H(b, c, d) + X[k] + 0x6ED9EBA1, s), b, c
        h = [(v + w) & 0xFFFFFFFF for v, w in zip(h, (a, b, c, d))]
    return struct.pack("<4I", *h)


def rc4(key, data):
    S = list(range(256))
    j = 0
    for i in range(256):
        j = (j + S[i] + key[i % len(key)]) & 0xFF
        S[i], S[j] = S[j], S[i]
    i = j = 0
    out = bytearray()
    for ch in data:
        i = (i + 1) & 0xFF
        j = (j + S[i]) & 0xFF
        S[i], S[j] = S[j], S[i]
        out.append(ch ^ S[(S[i] + S[j]) & 0xFF])
    return bytes(out)


def hm(k, m):
    return hmac.new(k, m, hashlib.md5).digest()


def ntowfv2(user, domain, password):
    return hm(md4(password.encode("utf-16-le")), (user.upper() + domain).encode("utf-16-le"))


def v2(user, domain, password, schal, cchal, time8, tinfo, key):
    rk = ntowfv2(user, domain, password)
    temp = b"\x01\x01" + b"\x00" * 6 + time8 + cchal + b"\x00" * 4 + tinfo + b"\x00" * 4
    proof = hm(rk, schal + temp)
    sbk = hm(rk, proof)
    return proof, proof + temp, sbk, rc4(sbk, key)


def selftest():
    assert md4(b"").hex() == "31d6cfe0d16ae931b73c59d7e0c089c0"
    assert md4(b"abc").hex() == "a448017aaf21d8525fc10ae87aa6729d"
    tinfo = (b"\x02\x00\x0c\x00" + "Domain".encode("utf-16-le") + b"\x01\x00\x0c\x00" +
             "Server".encode("utf-16-le") + b"\x00\x00\x00\x00")
    proof, resp, sbk, enc = v2("User", "Domain", "Password", bytes.fromhex("0123456789abcdef"), b"\xaa" * 8,
                               b"\x00" * 8, tinfo, b"\x55" * 16)
    print(ntowfv2("User", "Domain", "Password").hex())
    print(proof.hex())
    print(sbk.hex())
    print(enc.hex())
    print(resp.hex())


def main(argv):
    if argv[1:2] == ["selftest"]:
        selftest()
        return 0
    if argv[1:2] == ["v2"] and len(argv) == 10:
        u, d, p = argv[2:5]
        schal, cchal, t, ti, k = (bytes.fromhex(x) for x in argv[5:10])
        for v in v2(u, d, p, schal, cchal, t, ti, k):
            print(v.hex())
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
