"""Run by test_dfs_domain.py under `unshare -m --propagation private`: a mount namespace of its own, so the
hosts file bound over /etc/hosts (the names an AD's DNS would give: the domain and its DC) and the FUSE
mount are seen only here. Mounts argv's source with smbfuse -f in the DC's network namespace, lists and
reads the paths asked, unmounts, and prints one JSON object: the mount's status and log, what was read.

With DFSDOM_DNS=ZONE.json in the environment, a DNS server of the zone (dns_responder.py) runs in the DC's
network namespace on 127.0.0.1:53, and a resolv.conf naming it is bound over /etc/resolv.conf; the JSON
then also holds "dns": the queries it was asked.

usage: dfsdom_run.py HOSTS NETNS SMBFUSE SOURCE MOUNTPOINT OPTIONS PATH...
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def mounted(mp):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == mp for line in f)


def main(hosts, netns, binary, source, mp, opts, *paths):
    subprocess.run(["mount", "--bind", hosts, "/etc/hosts"], check=True)
    dns = None
    if os.environ.get("DFSDOM_DNS"):
        conf = Path(tempfile.mkdtemp()) / "resolv.conf"
        conf.write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        subprocess.run(["mount", "--bind", str(conf), "/etc/resolv.conf"], check=True)
        dns = subprocess.Popen(["nsenter", f"--net=/run/netns/{netns}", sys.executable,
                                str(Path(__file__).with_name("dns_responder.py")), os.environ["DFSDOM_DNS"]],
                               stdout=subprocess.PIPE, text=True)
        if dns.stdout.readline().strip() != "ready":
            raise SystemExit("dns_responder.py did not start")
    d = subprocess.Popen(["nsenter", f"--net=/run/netns/{netns}", binary, source, mp, "-f", "--verbose",
                          "-o", opts], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    out = {"mounted": False, "read": {}}
    deadline = time.monotonic() + 30
    while d.poll() is None and not mounted(mp) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling the mount table: there is no event for a FUSE mount appearing
    if mounted(mp):
        out["mounted"] = True
        for p in paths:
            full = os.path.join(mp, p)
            try:
                out["read"][p] = sorted(os.listdir(full)) if os.path.isdir(full) else open(full, "rb").read().hex()
            except OSError as e:
                out["read"][p] = f"error {e.errno}"
        subprocess.run(["fusermount3", "-u", mp])
    try:
        out["rc"] = d.wait(20)
    except subprocess.TimeoutExpired:
        d.kill()
        out["rc"] = d.wait()
    out["log"] = d.stderr.read()
    if dns:
        dns.kill()
        out["dns"] = dns.communicate()[0].split("\n")
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:])
