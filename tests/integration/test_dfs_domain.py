"""Domain-based DFS namespaces (//DOMAIN/namespace, MS-DFSC 3.1.4.1) against the Samba AD DC of
krb5dc.py (the session's one, shared with test_kerberos.py): the DC answers the DC referral of its
domain's DNS and NetBIOS names and the root referrals of the built-in namespaces sysvol and netlogon
(source4 dfs_server/dfs_server_ad.c), whose target is its own sysvol share.

An AD's DNS resolves the domain and its DCs; here a hosts file does, bound over /etc/hosts in a mount
namespace of the test's own (dfsdom_run.py), which also holds the FUSE mount. The domain's sysvol is
readable by the domain's Administrator only (its POSIX modes on the DC), so the mounts log on as them with
NTLM: the domain name is no Kerberos service principal (cifs/DOMAIN does not exist).

Each test would pass against a plain share of the same DC were the domain not followed: the positive ones
check the log names the DC referral and the target, the negative ones that the domain path's error is
given where a direct mount would succeed.
"""
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

import krb5dc
import smbfixture as sf

HERE = Path(__file__).resolve().parent
GPO = "smbfuse.test/Policies/{31B2F340-016D-11D2-945F-00C04FB984F9}"


@pytest.fixture
def dom(krb5_dc, smbfuse_bin, tmp_path):
    t0 = time.monotonic()

    def run(source, opts="", dc_addr="127.0.0.1", paths=(), dns=None, cache=None):
        """dns: a zone for dns_responder.py (the DC locator's DNS); cache: a Kerberos cache (sec=krb5)."""
        hosts = tmp_path / "hosts"
        hosts.write_text(f"127.0.0.1 localhost\n127.0.0.1 smbfuse.test\n{dc_addr} dc.smbfuse.test dc\n")
        mp = tmp_path / f"mnt{len(list(tmp_path.glob('mnt*')))}"
        mp.mkdir()
        env = {**os.environ, **sf.sanitizer_env(), "PASSWD": krb5dc.ADMINPASS}
        if dns is not None:
            zone = tmp_path / f"zone{len(list(tmp_path.glob('zone*')))}.json"
            zone.write_text(json.dumps(dns))
            env["DFSDOM_DNS"] = str(zone)
        if cache:
            env = {**env, **krb5_dc.env(cache)}
            del env["PASSWD"]
        user = None if cache else "user=administrator"
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "/usr/bin/python3",
                            str(HERE / "dfsdom_run.py"), str(hosts), krb5_dc.ns, smbfuse_bin, source, str(mp),
                            ",".join(filter(None, [user, opts])), *paths],
                           capture_output=True, text=True, env=env, timeout=90)
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert not sf.sanitizer_findings(out["log"]), out["log"]
        return out
    yield run
    print(f"test_dfs_domain: {time.monotonic() - t0:.1f} s", flush=True)


def on_dc(dc, rel):
    return dc.dir / "state" / "sysvol" / rel


@pytest.mark.parametrize("domain,opts", [("SMBFUSE.TEST", ""), ("smbfuse", "ip=127.0.0.1")])
def test_domain_sysvol(dom, krb5_dc, domain, opts):
    """The DNS name resolves to the DC (as in AD); the NetBIOS name does not, and ip= names the server
    asked for the DC referral. The DC list is "dc.smbfuse.test" for the DNS name, "DC" for the NetBIOS one."""
    out = dom(f"//{domain}/sysvol", opts, paths=["smbfuse.test", f"{GPO}/GPT.INI"])
    assert out["mounted"] and out["rc"] == 0, out["log"]
    assert out["read"]["smbfuse.test"] == ["Policies", "scripts"]
    assert bytes.fromhex(out["read"][f"{GPO}/GPT.INI"]) == on_dc(krb5_dc, f"{GPO}/GPT.INI").read_bytes()
    dc = "dc.smbfuse.test" if "." in domain else "DC"
    assert f"\\{domain} is a domain; its DCs: {dc} (TTL 600 s)" in out["log"]
    assert f"trying target \\\\{dc}\\sysvol" in out["log"]


def test_domain_subdir(dom, krb5_dc):
    out = dom(f"//SMBFUSE.TEST/sysvol/{GPO}", paths=["GPT.INI"])
    assert out["mounted"], out["log"]
    assert bytes.fromhex(out["read"]["GPT.INI"]) == on_dc(krb5_dc, f"{GPO}/GPT.INI").read_bytes()
    assert "trying target \\\\dc.smbfuse.test\\sysvol\\smbfuse.test" in out["log"], out["log"]


def test_domain_no_such_namespace(dom):
    """The DC has a share "data" but no namespace of that name: its root referral fails, and so the mount."""
    out = dom("//SMBFUSE.TEST/data")
    assert not out["mounted"] and out["rc"] != 0
    assert ("\\\\SMBFUSE.TEST\\data: the domain controller dc.smbfuse.test has no referral for it: "
            in out["log"]), out["log"]


def test_domain_controllers_down(dom):
    """The domain's server answers the DC referral, but the DC it lists cannot be reached."""
    out = dom("//SMBFUSE.TEST/sysvol", dc_addr="127.0.0.9")
    assert not out["mounted"] and out["rc"] != 0
    assert "\\\\SMBFUSE.TEST\\sysvol: none of the domain's 1 controllers answers (last: " in out["log"], out["log"]


def test_domain_nodfs(dom):
    out = dom("//SMBFUSE.TEST/sysvol", "nodfs")
    assert not out["mounted"] and out["rc"] != 0
    assert ("\\\\SMBFUSE.TEST\\sysvol is a domain-based DFS namespace (SMBFUSE.TEST is a domain), not followed "
            "with nodfs: mount a share of a server, e.g. //dc.smbfuse.test/sysvol") in out["log"], out["log"]


def test_server_name_is_no_domain(dom):
    """The DC's own name is a server: its DC referral is refused and the share is mounted directly."""
    out = dom("//dc.smbfuse.test/sysvol", paths=["smbfuse.test"])
    assert out["mounted"] and out["read"]["smbfuse.test"] == ["Policies", "scripts"], out["log"]
    assert "is a domain" not in out["log"]


def test_named_server_asks_on_the_mounts_own_session(mount, smbfuse_bin):
    """Any source named by a host name might be a domain (//CORP/sysvol), so the host is asked its DC
    referral at mount. The mount's own session asks it, on an IPC$ tree of its connection: a server that
    is no domain costs no second connection and logon (session.ipc_logons counts those)."""
    m = mount(source="//localhost/share")
    (m.path / "f").write_text("x")
    assert (m.backing / "f").read_text() == "x"
    from test_cache import stats
    s = stats(m)
    assert s["session.ipc_logons"] == 0, s["session.ipc_logons"]


# ---- the DC locator: DNS SRV records find the domain's DCs, so that sec=krb5 works (cifs/<DC's name>) ----

SRV = "_ldap._tcp.dc._msdcs.smbfuse.test"


@pytest.fixture
def admin_cache(krb5_dc, tmp_path):
    """A Kerberos cache of the domain's Administrator (the sysvol's only reader, see above)."""
    cache = tmp_path / "admin.cc"
    r = subprocess.run(krb5_dc.nsenter(["kinit", "administrator"]), input=krb5dc.ADMINPASS + "\n",
                       capture_output=True, text=True, env=krb5_dc.env(cache))
    assert r.returncode == 0, r.stderr
    return cache


def test_krb5_domain_through_dc_locator(dom, krb5_dc, admin_cache):
    """The DC referral goes to the DC that the SRV records name, by its host name: the only service
    ticket is cifs/dc.smbfuse.test (cifs/SMBFUSE.TEST does not exist). Without the locator the mount
    fails with "unknown service principal cifs/SMBFUSE.TEST"."""
    zone = {"srv": {SRV: [[0, 100, 389, "dc.smbfuse.test"]]}, "a": {"dc.smbfuse.test": "127.0.0.1"}}
    out = dom("//SMBFUSE.TEST/sysvol", "sec=krb5", paths=["smbfuse.test", f"{GPO}/GPT.INI"], dns=zone,
              cache=admin_cache)
    assert out["mounted"] and out["rc"] == 0, out["log"]
    assert out["read"]["smbfuse.test"] == ["Policies", "scripts"]
    assert bytes.fromhex(out["read"][f"{GPO}/GPT.INI"]) == on_dc(krb5_dc, f"{GPO}/GPT.INI").read_bytes()
    assert f"SRV {SRV}" in out["dns"], out["dns"]
    assert f"DC locator: {SRV.replace('smbfuse.test', 'SMBFUSE.TEST')} names 1 host, first dc.smbfuse.test" \
        in out["log"], out["log"]
    assert "\\SMBFUSE.TEST is a domain; its DCs: dc.smbfuse.test (TTL 600 s)" in out["log"], out["log"]
    tickets = krb5_dc.klist(admin_cache)
    assert re.search(r"cifs/dc\.smbfuse\.test@SMBFUSE\.TEST", tickets, re.I), tickets
    assert not re.search(r"cifs/smbfuse\.test@", tickets, re.I), tickets


def test_krb5_domain_without_srv_records(dom, admin_cache):
    """No SRV record (NXDOMAIN): the domain's name itself is asked, as before the locator, and with
    Kerberos that fails with the clear line of a missing service principal."""
    out = dom("//SMBFUSE.TEST/sysvol", "sec=krb5", dns={"srv": {}, "a": {}}, cache=admin_cache)
    assert not out["mounted"] and out["rc"] != 0
    assert f"SRV {SRV}" in out["dns"], out["dns"]
    assert ("DFS: no DNS SRV record _ldap._tcp.dc._msdcs.SMBFUSE.TEST (none): asking SMBFUSE.TEST itself for a "
            "DC referral") in out["log"], out["log"]
    assert "unknown service principal cifs/SMBFUSE.TEST" in out["log"], out["log"]


def test_dc_locator_fails_over(dom, krb5_dc, admin_cache):
    """The first SRV target (priority 0) resolves to an address where nothing listens: the next one
    (priority 10) is asked."""
    zone = {"srv": {SRV: [[10, 0, 389, "dc.smbfuse.test"], [0, 0, 389, "dead.smbfuse.test"]]},
            "a": {"dc.smbfuse.test": "127.0.0.1", "dead.smbfuse.test": "127.0.0.9"}}
    out = dom("//SMBFUSE.TEST/sysvol", "sec=krb5", paths=[f"{GPO}/GPT.INI"], dns=zone, cache=admin_cache)
    assert out["mounted"] and out["rc"] == 0, out["log"]
    assert bytes.fromhex(out["read"][f"{GPO}/GPT.INI"]) == on_dc(krb5_dc, f"{GPO}/GPT.INI").read_bytes()
    assert "A dead.smbfuse.test" in out["dns"], out["dns"]
    assert "DFS: domain controller dead.smbfuse.test of SMBFUSE.TEST (DNS SRV) failed (" in out["log"], out["log"]
    assert ": trying dc.smbfuse.test" in out["log"], out["log"]


def test_dc_locator_over_smb1(dom, krb5_dc, admin_cache):
    """An SMB1-only DC: the DC referral and the root referral are TRANS2_GET_DFS_REFERRAL on an SMB1 IPC$
    session (vers=1.0, or the fallback when the DC refuses SMB2), the target is mounted over SMB1. Before
    SMB1 DC referrals, vers=1.0 skipped the domain and the fallback was taken for "no DC referral": both
    logged on to SMBFUSE.TEST and failed with "unknown service principal"."""
    zone = {"srv": {SRV: [[0, 100, 389, "dc.smbfuse.test"]]}, "a": {"dc.smbfuse.test": "127.0.0.1"}}
    krb5_dc.restart("\tserver min protocol = NT1\n\tserver max protocol = NT1\n")
    try:
        for opts in ("sec=krb5,vers=1.0", "sec=krb5"):
            out = dom("//SMBFUSE.TEST/sysvol", opts, paths=[f"{GPO}/GPT.INI"], dns=zone, cache=admin_cache)
            assert out["mounted"] and out["rc"] == 0, (opts, out["log"])
            assert bytes.fromhex(out["read"][f"{GPO}/GPT.INI"]) == on_dc(krb5_dc, f"{GPO}/GPT.INI").read_bytes()
            assert "\\SMBFUSE.TEST is a domain; its DCs: dc.smbfuse.test (TTL 600 s)" in out["log"], out["log"]
            assert "trying target \\\\dc.smbfuse.test\\sysvol" in out["log"], out["log"]
            assert "connected to //SMBFUSE.TEST/sysvol: SMB 1 (NT LM 0.12)" in out["log"], out["log"]
    finally:
        krb5_dc.restart("")


def test_dc_locator_stops_at_a_refused_logon(dom, tmp_path):
    """No Kerberos ticket: the first DC's logon fails, and so would every other DC's (and each NTLM try
    counts against a lockout): the mount ends with that line, the next SRV target is not tried."""
    zone = {"srv": {SRV: [[0, 0, 389, "dc.smbfuse.test"], [10, 0, 389, "dc2.smbfuse.test"]]},
            "a": {"dc.smbfuse.test": "127.0.0.1", "dc2.smbfuse.test": "127.0.0.1"}}
    out = dom("//SMBFUSE.TEST/sysvol", "sec=krb5", dns=zone, cache=tmp_path / "no-such.cc")
    assert not out["mounted"] and out["rc"] != 0
    assert "no Kerberos ticket for cifs/dc.smbfuse.test: run kinit" in out["log"], out["log"]
    assert "dc2" not in out["log"] and "A dc2.smbfuse.test" not in out["dns"], (out["log"], out["dns"])
