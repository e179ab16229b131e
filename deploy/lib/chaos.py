#!/usr/bin/env python3
"""deploy/lib/chaos.py — the fault campaign behind deploy/chaos (its header says what it does).

    chaos.py --bin DIR --minutes N --seed S [--rate R] [--work DIR] [--keep]

One host per network namespace on 10.79.0.0/24 joined by a bridge (as deploy/multihost-test):
registry (with PostgreSQL: TLS 1.3 and SCRAM), four validators, an indexer, a gateway and an
operator host that runs the load. Every validator's peers dial it through a delaying relay in its
namespace (deploy/lib/delay-relay.py, delay changed at run time through a control file); its data
directory is a small loop-mounted ext4 filesystem (tmpfs when loop devices are not available).
Faults come from a schedule drawn from the seed, one at a time, never more than f = 1 validator
faulty, each followed by a bounded wait for the faulted service to be back and ready:

  kill-validator      kill -9 of a validator, restarted after the fault's duration
  freeze-validator    SIGSTOP, then SIGCONT
  delay               every relay delays each byte 30-150 ms with jitter (links reorder)
  loss                10-30% of a validator's packets dropped (nftables numgen random)
  partition           one validator cut from every host (nftables drop on its eth0)
  partition-proposer  the same for the proposer of the newest block
  disk-full           a validator's filesystem filled to the last byte, then freed (restarted
                      if it stopped)
  kill-indexer        kill -9 of the indexer, restarted
  kill-gateway        kill -9 of the gateway, restarted
  crash-postgres      PostgreSQL (the indexer's and the registry's) stopped in immediate mode (a
                      crash: recovery at restart), restarted after the fault's duration

The load (citychain-bench chaos-load) writes through the gateway all along with clients that
resubmit until acknowledged; its record of every transaction's fate is checked at the end against
every validator's blocks and the indexer's database. Exit status 0 when every check holds.
"""
import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

NET = "10.79.0"
HOST_IDS = {"registry": 10, "v1": 11, "v2": 12, "v3": 13, "v4": 14, "indexer": 20, "gateway": 30, "ops": 40}
VALIDATORS = ["v1", "v2", "v3", "v4"]
VALIDATOR_PORT, RELAY_PORT, OPS_PORT = 7101, 7111, 9100
PROPOSE_TIMEOUT_MS = 3000          # ConsensusConfig.proposeBaseMillis (every validator's default)
STALL_LIMIT_MS = 3 * PROPOSE_TIMEOUT_MS
FAULT_KINDS = ["kill-validator", "freeze-validator", "delay", "loss", "partition", "partition-proposer",
               "disk-full", "kill-indexer", "kill-gateway", "crash-postgres"]
# Kinds only dealt when asked for with --kinds (none at present).
EXTRA_KINDS: list = []
VALIDATOR_FAULTS = {"kill-validator", "freeze-validator", "loss", "partition", "partition-proposer", "disk-full"}
HERE = os.path.dirname(os.path.abspath(__file__))


def addr(host):
    return f"{NET}.{HOST_IDS[host]}"


def ns(host):
    return f"cx-{host}"


class Failed(Exception):
    pass


class Campaign:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.t0 = time.time()
        self.procs = {}                  # name -> (host, argv, Popen)
        self.mounts = []
        self.findings = []               # checks that did not hold
        self.faults = []                 # dicts: kind, target, start_ms, end_ms, detail
        self.down = set()                # services stopped on purpose (a kill fault), restarted by the fault itself
        self.exits = []                  # services that exited on their own: dicts name, status, at_s, expected, why
        self.expected_exit = None        # the service a fault may stop (a validator halts on a full disk)
        self.work = a.work or tempfile.mkdtemp(prefix="citychain-chaos-")
        os.chmod(self.work, 0o755)
        for d in ("logs", "data", "keys", "relay"):
            os.makedirs(os.path.join(self.work, d), exist_ok=True)
        self.pg_data = None
        self.pg_bin = None
        self.disk_mode = None

    # ------------------------------------------------------------------ output
    def say(self, text):
        print(f"[{time.time() - self.t0:6.1f} s] {text}", flush=True)

    # ------------------------------------------------------------------ commands
    def run(self, argv, host=None, check=True, timeout=60, user=None, env=None, input=None, cwd=None):
        cmd = list(argv)
        if user:
            cmd = ["runuser", "-u", user, "--"] + cmd
        if host:
            cmd = ["ip", "netns", "exec", ns(host)] + cmd
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, input=input, cwd=cwd)
        except subprocess.TimeoutExpired:
            if check:
                raise Failed(f"{' '.join(argv[:3])}… did not finish in {timeout} s")
            return subprocess.CompletedProcess(cmd, 124, "", "timeout")
        if check and p.returncode != 0:
            raise Failed(f"{' '.join(argv[:4])}… failed (status {p.returncode}): {(p.stderr or p.stdout).strip()[-400:]}")
        return p

    def cli(self, *args, host="ops", check=True, timeout=30):
        return self.run([os.path.join(self.a.bin, "citychain")] + list(args), host=host, check=check, timeout=timeout)

    def bench(self, *args, host="ops", check=True, timeout=120):
        return self.run([os.path.join(self.a.bin, "citychain-bench")] + list(args), host=host, check=check, timeout=timeout)

    # ------------------------------------------------------------------ network
    def remove_namespaces(self):
        names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
        for h in ["net"] + list(HOST_IDS):
            n = ns(h)
            if n in names:
                pids = subprocess.run(["ip", "netns", "pids", n], capture_output=True, text=True).stdout.split()
                for p in pids:
                    try:
                        os.kill(int(p), signal.SIGKILL)
                    except (ProcessLookupError, ValueError):
                        pass
                subprocess.run(["ip", "netns", "del", n], capture_output=True)

    def network(self):
        self.remove_namespaces()
        self.run(["ip", "netns", "add", ns("net")])
        self.run(["ip", "-n", ns("net"), "link", "add", "br0", "type", "bridge"])
        self.run(["ip", "-n", ns("net"), "link", "set", "br0", "up"])
        for h in HOST_IDS:
            self.run(["ip", "netns", "add", ns(h)])
            self.run(["ip", "-n", ns("net"), "link", "add", f"ve-{h}", "type", "veth", "peer", "name", "eth0", "netns", ns(h)])
            self.run(["ip", "-n", ns("net"), "link", "set", f"ve-{h}", "master", "br0", "up"])
            self.run(["ip", "-n", ns(h), "addr", "add", f"{addr(h)}/24", "dev", "eth0"])
            self.run(["ip", "-n", ns(h), "link", "set", "eth0", "up"])
            self.run(["ip", "-n", ns(h), "link", "set", "lo", "up"])
        # The bridge forwards once a connection to a closed port is refused.
        for _ in range(100):
            r = self.run(["bash", "-c", f"exec 3<>/dev/tcp/{addr('registry')}/9"], host="ops", check=False, timeout=3)
            if "refused" in r.stderr:
                break
            time.sleep(0.1)   # sleep: the bridge is not forwarding yet (bounded: 100 tries)

    def nft(self, host, rules):
        self.run(["nft", "-f", "-"], host=host, input=rules)

    def nft_clear(self, host):
        self.run(["nft", "delete", "table", "inet", "chaos"], host=host, check=False)

    # ------------------------------------------------------------------ disks
    def validator_disk(self, v):
        d = os.path.join(self.work, "data", v)
        os.makedirs(d, exist_ok=True)
        img = os.path.join(self.work, "data", f"{v}.img")
        if self.disk_mode != "tmpfs":
            try:
                self.run(["truncate", "-s", "384M", img])
                self.run(["mkfs.ext4", "-q", "-F", "-m", "0", img])
                self.run(["mount", "-o", "loop", img, d])
                self.mounts.append(d)
                self.disk_mode = "loop-mounted ext4, 384 MiB"
                return
            except Failed as e:
                if os.path.exists(img):
                    os.unlink(img)
                self.say(f"no loop mount here ({e}); validators' disks are tmpfs")
        self.run(["mount", "-t", "tmpfs", "-o", "size=384m", "tmpfs", d])
        self.mounts.append(d)
        self.disk_mode = "tmpfs"

    # ------------------------------------------------------------------ PKI, genesis, PostgreSQL
    def setup(self):
        w, pki = self.work, os.path.join(self.work, "pki")
        self.say("PKI (an IP SAN per host), keys and a genesis for 4 validators and 3 agencies")
        self.cli("pki", "init", "--dir", pki, host=None)
        self.cli("pki", "issue", "--role", "registry", "--name", "registry-1", "--host", addr("registry"), "--dir", pki, host=None)
        for i, v in enumerate(VALIDATORS, 1):
            self.cli("pki", "issue", "--role", "validator", "--name", f"validator-{i}", "--host", addr(v), "--dir", pki, host=None)
        self.cli("pki", "issue", "--role", "indexer", "--name", "indexer-1", "--host", addr("indexer"), "--dir", pki, host=None)
        self.cli("pki", "issue", "--role", "gateway", "--name", "gateway-1", "--host", addr("gateway"), "--dir", pki, host=None)
        self.cli("pki", "issue", "--role", "admin", "--name", "city-operator", "--host", addr("ops"), "--dir", pki, host=None)
        self.cli("pki", "issue", "--role", "database", "--name", "postgres-1", "--host", addr("registry"), "--dir", pki, host=None)
        agencies = ["city-hall", "parking-authority", "audit-office"]
        for ag in agencies:
            self.cli("pki", "issue", "--role", f"agency:{ag}", "--name", ag, "--dir", pki, host=None)
        for i in range(1, 5):
            self.cli("keys", "new", "--kind", "signing", "--out", os.path.join(w, "keys", f"validator-{i}.json"), host=None)
        for ag in agencies:
            self.cli("keys", "new", "--kind", "signing", "--out", os.path.join(w, "keys", f"{ag}.json"), host=None)
        spec = {
            "chainID": "city-chaos", "genesisTimeMillis": int(time.time() * 1000), "adminThreshold": 1,
            "validators": [{"name": f"validator-{i}", "keyFile": f"keys/validator-{i}.json", "power": 10} for i in range(1, 5)],
            "agencies": [
                {"id": "city-hall", "name": "City Hall", "admin": True, "signingKeyFile": "keys/city-hall.json"},
                {"id": "parking-authority", "name": "Parking Authority", "admin": False, "signingKeyFile": "keys/parking-authority.json"},
                {"id": "audit-office", "name": "Audit Office", "admin": False, "signingKeyFile": "keys/audit-office.json"}],
            "datasets": [{"id": "parking-sessions", "owner": "parking-authority", "sensitivity": "public",
                          "schema": "parking-session.v1", "writers": ["parking-authority"]}]}
        with open(os.path.join(w, "genesis-spec.json"), "w") as f:
            json.dump(spec, f)
        self.run([os.path.join(self.a.bin, "citychain"), "genesis", "--spec", "genesis-spec.json", "--out", "genesis.json"], cwd=w)
        self.genesis = os.path.join(w, "genesis.json")
        self.pki = pki
        self.ca = os.path.join(pki, "ca.pem")
        self.op_tls = ["--cert", f"{pki}/city-operator.pem", "--key", f"{pki}/city-operator.key", "--ca", self.ca]
        self.agency_tls = ["--cert", f"{pki}/parking-authority.pem", "--key", f"{pki}/parking-authority.key", "--ca", self.ca]

        self.say(f"PostgreSQL on the registry host ({addr('registry')}:5432, TLS 1.3 and SCRAM only)")
        for d in sorted(os.listdir("/usr/lib/postgresql")) if os.path.isdir("/usr/lib/postgresql") else []:
            if os.path.exists(f"/usr/lib/postgresql/{d}/bin/pg_ctl"):
                self.pg_bin = f"/usr/lib/postgresql/{d}/bin"
        if not self.pg_bin:
            self.pg_bin = os.path.dirname(shutil.which("pg_ctl"))
        pg = os.path.join(w, "pg")
        os.makedirs(os.path.join(pg, "tls"), exist_ok=True)
        for f in ("postgres-1.pem", "postgres-1.key"):
            shutil.copy(os.path.join(pki, f), os.path.join(pg, "tls", f))
        os.chmod(os.path.join(pg, "tls", "postgres-1.key"), 0o600)
        subprocess.run(["chown", "-R", "postgres", pg], check=True)
        self.pg_data = os.path.join(pg, "data")
        self.run([f"{self.pg_bin}/initdb", "-D", self.pg_data, "--auth-local=trust", "--auth-host=scram-sha-256", "-U", "citychain"],
                 user="postgres", timeout=120)
        with open(os.path.join(self.pg_data, "pg_hba.conf"), "w") as f:
            f.write(f"local all all trust\nhostssl all all {NET}.0/24 scram-sha-256\n")
        opts = (f"-p 5432 -k {pg} -c listen_addresses={addr('registry')} -c ssl=on -c ssl_cert_file={pg}/tls/postgres-1.pem "
                f"-c ssl_key_file={pg}/tls/postgres-1.key -c ssl_min_protocol_version=TLSv1.3")
        self.run([f"{self.pg_bin}/pg_ctl", "-D", self.pg_data, "-l", f"{pg}/log", "-w", "-t", "30", "-o", opts, "start"],
                 host="registry", user="postgres", timeout=60)
        self.pg_opts = opts
        self.pg_socket = pg
        self.pg_password = os.urandom(16).hex()
        self.psql("postgres", f"CREATE ROLE citychain_service LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS PASSWORD '{self.pg_password}'")
        self.psql("postgres", "CREATE DATABASE indexer OWNER citychain_service")
        self.psql("postgres", "CREATE DATABASE registry OWNER citychain_service")

    def psql(self, db, sql):
        return self.run(["psql", "-qAtX", "-h", self.pg_socket, "-p", "5432", "-U", "citychain", "-d", db, "-c", sql], timeout=120).stdout

    def pg_url(self, db):
        return f"postgres://citychain_service:{self.pg_password}@{addr('registry')}:5432/{db}"

    # ------------------------------------------------------------------ services
    def tls(self, name):
        return ["--cert", f"{self.pki}/{name}.pem", "--key", f"{self.pki}/{name}.key", "--ca", self.ca]

    def argv(self, name):
        b = self.a.bin
        registry_at = f"{addr('registry')}:7400"
        vals = []
        for v in VALIDATORS:
            vals += ["--validator", f"{addr(v)}:{VALIDATOR_PORT}"]
        if name == "registry":
            return [f"{b}/citychain-registry", "--listen", registry_at] + self.tls("registry-1") + [
                "--postgres", self.pg_url("registry"), "--registry", registry_at, "--genesis", self.genesis, "--ops-listen", f"127.0.0.1:{OPS_PORT}"]
        if name in VALIDATORS:
            i = int(name[1])
            peers = []
            for o in VALIDATORS:
                if o != name:
                    peers += ["--peer", f"{addr(o)}:{RELAY_PORT}"]
            return [f"{b}/citychain-validator", "--listen", f"{addr(name)}:{VALIDATOR_PORT}", "--advertise", f"{addr(name)}:{RELAY_PORT}"] + \
                self.tls(f"validator-{i}") + ["--genesis", self.genesis, "--data-dir", os.path.join(self.work, "data", name, "chain"),
                                              "--validator-key", os.path.join(self.work, "keys", f"validator-{i}.json"),
                                              "--block-heartbeat-ms", "1000", "--registry", registry_at,
                                              "--ops-listen", f"127.0.0.1:{OPS_PORT}"] + peers
        if name.startswith("relay-"):
            v = name[6:]
            return [sys.executable, os.path.join(HERE, "delay-relay.py"), "--listen", f"{addr(v)}:{RELAY_PORT}",
                    "--target", f"{addr(v)}:{VALIDATOR_PORT}", "--delay-ms", "0", "--jitter-ms", "0", "--seconds", "86400",
                    "--control", os.path.join(self.work, "relay", "delay")]
        if name == "indexer":
            return [f"{b}/citychain-indexer", "--listen", f"{addr('indexer')}:7200"] + self.tls("indexer-1") + [
                "--genesis", self.genesis, "--postgres", self.pg_url("indexer"), "--audit-agency", "audit-office",
                "--registry", registry_at, "--ops-listen", f"127.0.0.1:{OPS_PORT}"] + vals
        if name == "gateway":
            return [f"{b}/citychain-gateway", "--listen", f"{addr('gateway')}:7300"] + self.tls("gateway-1") + [
                "--genesis", self.genesis, "--indexer", f"{addr('indexer')}:7200", "--registry", registry_at,
                "--ops-listen", f"127.0.0.1:{OPS_PORT}"] + vals
        raise ValueError(name)

    def host_of(self, name):
        return name[6:] if name.startswith("relay-") else name

    def start(self, name):
        host = self.host_of(name)
        log = open(os.path.join(self.work, "logs", f"{name}.log"), "a")
        p = subprocess.Popen(["ip", "netns", "exec", ns(host)] + self.argv(name), stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        log.close()
        self.procs[name] = p
        self.down.discard(name)

    def alive(self, name):
        return self.procs[name].poll() is None

    def kill9(self, name):
        self.down.add(name)
        p = self.procs[name]
        if p.poll() is None:
            p.send_signal(signal.SIGCONT)   # a frozen process dies as well
            p.kill()
        p.wait(timeout=30)

    def supervise(self):
        """As systemd's Restart=always would: a service that exited on its own is noted and restarted."""
        for name, p in list(self.procs.items()):
            if name in self.down or p.poll() is None:
                continue
            why = ""
            path = os.path.join(self.work, "logs", f"{name}.log")
            try:
                with open(path, errors="replace") as f:
                    lines = [l.strip() for l in f.readlines()[-20:] if "critical" in l or l.startswith("Error")]
                why = lines[-1][-300:] if lines else ""
            except OSError:
                pass
            expected = name == self.expected_exit
            self.exits.append({"name": name, "status": p.returncode, "at_s": round(time.time() - self.t0, 1), "expected": expected, "why": why})
            self.say(f"{name} exited on its own (status {p.returncode}{'; expected: ' if expected else ''}{why[:160] if why else ''}); restarting it")
            if not expected:
                self.findings.append(f"{name} exited on its own (status {p.returncode}) at {time.time() - self.t0:.0f} s: {why or 'see its log'}")
            self.start(name)

    def ready(self, name):
        host = self.host_of(name)
        r = self.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "3", f"http://127.0.0.1:{OPS_PORT}/readyz"],
                     host=host, check=False, timeout=10)
        return r.stdout.strip() == "200"

    def wait_ready(self, names, seconds, what):
        """Seconds until every one of names answers /readyz 200 (restarting none); None after `seconds`."""
        start = time.time()
        pending = list(names)
        while pending:
            self.supervise()
            pending = [n for n in pending if not (self.alive(n) and self.ready(n))]
            if not pending:
                break
            if time.time() - start > seconds:
                return None
            time.sleep(0.5)   # sleep: polling readiness, bounded by `seconds`
        return time.time() - start

    def services(self):
        self.say("starting the registry, 4 validators (each behind its relay), the indexer and the gateway")
        with open(os.path.join(self.work, "relay", "delay"), "w") as f:
            f.write("0 0\n")
        self.start("registry")
        if self.wait_ready(["registry"], 60, "registry") is None:
            raise Failed("the registry was not ready within 60 s")
        for v in VALIDATORS:
            self.validator_disk(v)
            self.start(f"relay-{v}")
            self.start(v)
        if self.wait_ready(VALIDATORS, 90, "validators") is None:
            raise Failed("the validators were not ready within 90 s")
        self.start("indexer")
        if self.wait_ready(["indexer"], 60, "indexer") is None:
            raise Failed("the indexer was not ready within 60 s")
        self.start("gateway")
        if self.wait_ready(["gateway"], 60, "gateway") is None:
            raise Failed("the gateway was not ready within 60 s")
        self.say(f"all services ready; validators' disks: {self.disk_mode}")

    # ------------------------------------------------------------------ faults
    def newest_proposer(self):
        r = self.cli("block", "--validator", f"{addr('v1')}:{VALIDATOR_PORT}", "--output", "json", *self.op_tls, check=False, timeout=15)
        try:
            name = json.loads(r.stdout)["proposer"]
            return f"v{int(name.rsplit('-', 1)[1])}"
        except (ValueError, KeyError, IndexError):
            return self.rng.choice(VALIDATORS)

    def inject(self, kind, duration):
        """Applies one fault for `duration` seconds and undoes it; returns (target, detail)."""
        target = self.rng.choice(VALIDATORS)
        detail = ""
        if kind == "kill-validator":
            self.kill9(target)
            self.sleep_watching(duration)
            self.start(target)
        elif kind == "freeze-validator":
            self.procs[target].send_signal(signal.SIGSTOP)
            self.sleep_watching(duration)
            self.procs[target].send_signal(signal.SIGCONT)
        elif kind == "delay":
            target = "all validator links"
            delay = self.rng.randint(30, 150)
            jitter = delay // 2
            detail = f"{delay} ± {jitter} ms per byte, each way"
            with open(os.path.join(self.work, "relay", "delay"), "w") as f:
                f.write(f"{delay} {jitter}\n")
            self.sleep_watching(duration)
            with open(os.path.join(self.work, "relay", "delay"), "w") as f:
                f.write("0 0\n")
            time.sleep(1.2)   # sleep: the relays read their control file every second
        elif kind == "loss":
            pct = self.rng.randint(10, 30)
            detail = f"{pct}% of packets dropped each way"
            self.nft(target, "table inet chaos {\n"
                     f"  chain input {{ type filter hook input priority 0; policy accept; iifname \"eth0\" numgen random mod 100 < {pct} drop; }}\n"
                     f"  chain output {{ type filter hook output priority 0; policy accept; oifname \"eth0\" numgen random mod 100 < {pct} drop; }}\n"
                     "}\n")
            self.sleep_watching(duration)
            self.nft_clear(target)
        elif kind in ("partition", "partition-proposer"):
            if kind == "partition-proposer":
                target = self.newest_proposer()
                detail = "the proposer of the newest block"
            self.nft(target, "table inet chaos {\n"
                     "  chain input { type filter hook input priority 0; policy accept; iifname \"eth0\" drop; }\n"
                     "  chain output { type filter hook output priority 0; policy accept; oifname \"eth0\" drop; }\n"
                     "}\n")
            self.sleep_watching(duration)
            self.nft_clear(target)
        elif kind == "disk-full":
            d = os.path.join(self.work, "data", target)
            filler = os.path.join(d, "filler")
            # Fill to the last block: big writes, then small ones (dd stops at ENOSPC).
            self.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M", "status=none"], check=False, timeout=60)
            self.run(["dd", "if=/dev/zero", f"of={filler}.tail", "bs=4k", "status=none"], check=False, timeout=60)
            free = shutil.disk_usage(d).free
            detail = f"filled ({free} bytes left)"
            exits_before = len(self.exits)
            self.expected_exit = target
            # The validator halts when a write fails (by design: restart it; it rescans its log).
            # The supervisor restarts it while the disk is still full, as systemd would, until freed.
            self.sleep_watching(duration)
            for f in (filler, filler + ".tail"):
                if os.path.exists(f):
                    os.unlink(f)
            self.wait_ready([target], 90, kind)
            self.expected_exit = None
            halts = len(self.exits) - exits_before
            if halts:
                detail += f"; it halted and was restarted {halts}×"
        elif kind == "crash-postgres":
            target = "postgresql"
            self.run([f"{self.pg_bin}/pg_ctl", "-D", self.pg_data, "-m", "immediate", "-w", "-t", "30", "stop"],
                     user="postgres", timeout=60)
            self.sleep_watching(duration)
            self.run([f"{self.pg_bin}/pg_ctl", "-D", self.pg_data, "-l", f"{self.pg_socket}/log", "-w", "-t", "60", "-o", self.pg_opts, "start"],
                     host="registry", user="postgres", timeout=90)
        elif kind in ("kill-indexer", "kill-gateway"):
            target = kind[5:]
            self.kill9(target)
            self.sleep_watching(duration)
            self.start(target)
        return target, detail

    def sleep_watching(self, seconds):
        """Waits out a fault, noting any service that dies on its own meanwhile."""
        end = time.time() + seconds
        while time.time() < end:
            self.supervise()
            time.sleep(min(0.5, max(0.0, end - time.time())))   # sleep: a fault lasts this long (the campaign's clock)

    def campaign(self, seconds):
        self.say(f"fault campaign: {seconds:.0f} s, seed {self.a.seed}")
        end = time.time() + seconds
        time.sleep(min(10.0, seconds / 6))   # sleep: load alone first, so the chain is busy when the faults begin
        kinds = []
        while time.time() < end - 8:
            if not kinds:
                kinds = list(self.a.kinds.split(",")) if self.a.kinds else list(FAULT_KINDS)
                self.rng.shuffle(kinds)
            kind = kinds.pop()
            # Short campaigns (deploy/test's 2 minutes) use shorter faults, so most kinds get a turn.
            short = seconds < 300
            duration = self.rng.uniform(3, 6) if kind == "kill-gateway" else (self.rng.uniform(4, 8) if short else self.rng.uniform(6, 15))
            duration = min(duration, max(2.0, end - time.time() - 6))
            start_ms = int(time.time() * 1000)
            target, detail = self.inject(kind, duration)
            end_ms = int(time.time() * 1000)
            names = [target] if target in self.procs else (VALIDATORS if target == "all validator links" else
                                                            ["registry", "indexer"] if target == "postgresql" else [])
            back = self.wait_ready(names + ["gateway"], 90, kind)
            f = {"kind": kind, "target": target, "start_ms": start_ms, "end_ms": end_ms, "seconds": round((end_ms - start_ms) / 1000, 1),
                 "detail": detail, "ready_after_s": None if back is None else round(back, 1)}
            self.faults.append(f)
            self.say(f"fault {len(self.faults)} ({start_ms / 1000 - self.t0:.1f}-{end_ms / 1000 - self.t0:.1f} s): {kind} on {target} for {f['seconds']} s{(' (' + detail + ')') if detail else ''}; "
                     + (f"ready again {f['ready_after_s']} s later" if back is not None else "NOT ready again within 90 s"))
            if back is None:
                self.findings.append(f"after {kind} on {target}, {', '.join(n for n in names + ['gateway'] if not self.ready(n))} not ready within 90 s")
            pause = self.rng.uniform(1, 3) if short else self.rng.uniform(2, 5)
            if time.time() + pause < end - 8:
                self.sleep_watching(pause)   # a quiet spell between faults (drawn from the seed)

    # ------------------------------------------------------------------ checks
    def dump(self, v):
        for attempt in range(30):
            self.supervise()
            r = self.bench("chain-dump", "--validator", f"{addr(v)}:{VALIDATOR_PORT}", *self.op_tls, check=False, timeout=300)
            if r.returncode == 0:
                with open(os.path.join(self.work, f"chain-{v}.txt"), "w") as f:
                    f.write(r.stdout)
                break
            time.sleep(2)   # sleep: the validator is not answering yet (bounded: 30 tries)
        else:
            raise Failed(f"validator {v} did not serve its blocks within a minute: {r.stderr.strip()[-300:]}")
        blocks, txs = {}, []
        for line in r.stdout.splitlines():
            p = line.split()
            if p[0] == "B":
                blocks[int(p[1])] = (p[2], int(p[3]), p[4], int(p[5]))
            elif p[0] == "T":
                txs.append((int(p[1]), int(p[2]), p[3], p[4]))
        return blocks, txs

    def check(self, load_summary):
        self.say("checking: the validators' blocks, the load's record, the index")
        # Each validator's blocks; heights up to the lowest of them are compared.
        dumps = {v: self.dump(v) for v in VALIDATORS}
        top = {v: max(dumps[v][0]) if dumps[v][0] else 0 for v in VALIDATORS}
        common = min(top.values())
        mismatched = [h for h in range(1, common + 1) if len({dumps[v][0][h][0] for v in VALIDATORS}) != 1]
        if mismatched:
            self.findings.append(f"validators disagree on the block at {len(mismatched)} heights (first {mismatched[0]})")
        longest = max(VALIDATORS, key=lambda v: top[v])
        blocks, txs = dumps[longest]
        by_id = collections.Counter(t[2] for t in txs)
        by_payload = collections.Counter(t[3] for t in txs if t[3] != "-")
        position = {t[2]: (t[0], t[1]) for t in txs}

        sent, acked, rejected, unacked, verify = {}, {}, {}, {}, {}
        with open(os.path.join(self.work, "load.jsonl")) as f:
            for line in f:
                e = json.loads(line)
                {"sent": sent, "ack": acked, "rejected": rejected, "unacked": unacked, "verify": verify}[e["event"]][e["id"]] = e
        lost = [i for i in acked if by_id[i] == 0]
        dup_id = [i for i in sent if by_id[i] > 1]
        dup_payload = [i for i, e in sent.items() if by_payload[e["payload"]] > 1]
        wrong_place = [i for i, e in acked.items() if by_id[i] == 1 and position[i] != (e["height"], e["index"])]
        rejected_committed = [i for i in rejected if by_id[i] > 0]
        # A receipt verified at once against the genesis sets, or after the run once the sets were
        # brought up to its height through the gateway (a "verify" line).
        unverified = [i for i, e in acked.items() if not (e.get("verified") or verify.get(i, {}).get("verified"))]
        committed_ours = sum(1 for i in sent if by_id[i] > 0)
        unacked_committed = sum(1 for i in sent if i not in acked and by_id[i] > 0)
        if lost:
            self.findings.append(f"{len(lost)} acknowledged transactions are not on the chain (first {lost[0]})")
        if dup_id or dup_payload:
            self.findings.append(f"duplicates on the chain: {len(dup_id)} by id, {len(dup_payload)} by payload")
        if wrong_place:
            self.findings.append(f"{len(wrong_place)} receipts name another place than the chain holds (first {wrong_place[0]})")
        if rejected_committed:
            self.findings.append(f"{len(rejected_committed)} transactions answered 'rejected' are on the chain")
        if unverified:
            why = verify.get(unverified[0], {}).get("why", "")
            self.findings.append(f"{len(unverified)} receipts did not verify against the chain's validator sets (first {unverified[0]}: {why})")
        if not acked:
            self.findings.append("no transaction was acknowledged")

        # Stalls: gaps between consecutive blocks' times (the heartbeat is 1 s when idle).
        times = [(h, blocks[h][1]) for h in sorted(blocks)]
        gap, gap_at = 0, 0
        for (h0, t0), (h1, t1) in zip(times, times[1:]):
            if t1 - t0 > gap:
                gap, gap_at = t1 - t0, h1
        gap_fault = "no fault"
        if gap_at:
            # The faults in force, or ended within the 10 s before, while the chain stood still.
            t1 = blocks[gap_at][1]
            t0 = t1 - gap
            near = [f for f in self.faults if f["start_ms"] <= t1 and f["end_ms"] + 10000 >= t0]
            rel = lambda ms: f"{(ms / 1000 - self.t0):.1f} s"
            if near:
                gap_fault = "; ".join(f"{f['kind']} on {f['target']} {rel(f['start_ms'])}-{rel(f['end_ms'])}" for f in near)
            gap_fault = f"from {rel(t0)} to {rel(t1)}: {gap_fault}"
        if gap > STALL_LIMIT_MS:
            self.findings.append(f"commits stalled {gap} ms before height {gap_at} (limit {STALL_LIMIT_MS} ms = 3 × the propose timeout; near {gap_fault})")

        # The index equals the chain: wait (bounded) for it to reach the chain's height.
        indexed = 0
        deadline = time.time() + 120
        while time.time() < deadline:
            out = self.psql("indexer", "SELECT height FROM citychain.index_head").strip()
            indexed = int(out) if out else 0
            if indexed >= common:
                break
            time.sleep(1)   # sleep: the indexer is catching up; bounded by 120 s
        upto = min(indexed, common)
        rows = self.psql("indexer", f"SELECT height, encode(hash, 'hex') FROM citychain.blocks WHERE height <= {upto} ORDER BY height")
        idx_blocks = {int(h): x for h, x in (l.split("|") for l in rows.split())}
        trows = self.psql("indexer", f"SELECT encode(id, 'hex'), height, idx FROM citychain.transactions WHERE height <= {upto}")
        idx_txs = {i: (int(h), int(x)) for i, h, x in (l.split("|") for l in trows.split())}
        chain_txs = {t[2]: (t[0], t[1]) for t in txs if t[0] <= upto}
        block_diff = [h for h in range(1, upto + 1) if idx_blocks.get(h) != blocks[h][0]]
        if indexed < common:
            self.findings.append(f"the indexer reached height {indexed}, not the chain's {common}, within 120 s")
        if block_diff or idx_txs != chain_txs:
            missing = len(set(chain_txs) - set(idx_txs))
            extra = len(set(idx_txs) - set(chain_txs))
            self.findings.append(f"the index differs from the chain up to height {upto}: {len(block_diff)} blocks, "
                                 f"{missing} transactions missing, {extra} extra")

        # Every process back and ready.
        final_ready = self.wait_ready(["registry"] + VALIDATORS + ["indexer", "gateway"], 60, "end")
        if final_ready is None:
            down = [n for n in ["registry"] + VALIDATORS + ["indexer", "gateway"] if not (self.alive(n) and self.ready(n))]
            self.findings.append(f"not back and ready at the end: {', '.join(down)}")

        by_kind = collections.Counter(f["kind"] for f in self.faults)
        slowest = max(self.faults, key=lambda f: 1e9 if f["ready_after_s"] is None else f["ready_after_s"], default=None)
        return {
            "seed": self.a.seed, "minutes": self.a.minutes, "rate": self.a.rate,
            "faults": len(self.faults), "faults_by_kind": dict(sorted(by_kind.items())),
            "sent": len(sent), "acknowledged": len(acked), "rejected": len(rejected), "unacknowledged": len(sent) - len(acked) - len(rejected),
            "committed": committed_ours, "committed_unacknowledged": unacked_committed,
            "duplicated": len(set(dup_id) | set(dup_payload)), "lost": len(lost),
            "heights": common, "heights_compared": common * len(VALIDATORS), "validators_agree": not mismatched,
            "indexed_height": indexed, "index_rows_compared": len(chain_txs), "index_equal": not block_diff and idx_txs == chain_txs,
            "longest_stall_ms": gap, "stall_at_height": gap_at, "stall_near": gap_fault, "stall_limit_ms": STALL_LIMIT_MS,
            "slowest_recovery_s": slowest["ready_after_s"] if slowest else None,
            "slowest_recovery_fault": f"{slowest['kind']} on {slowest['target']}" if slowest else None,
            "ack_p50_ms": load_summary.get("ack_p50_ms"), "ack_p99_ms": load_summary.get("ack_p99_ms"), "ack_max_ms": load_summary.get("ack_max_ms"),
            "resubmits": load_summary.get("resubmits"), "load_connection_errors": load_summary.get("connection_errors"),
            "exits_expected": sum(1 for e in self.exits if e["expected"]), "exits_unexpected": sum(1 for e in self.exits if not e["expected"]),
            "disk": self.disk_mode, "ok": not self.findings,
        }

    # ------------------------------------------------------------------ the run
    def main(self):
        a = self.a
        self.network()
        self.setup()
        self.services()
        seconds = a.minutes * 60
        record = os.path.join(self.work, "load.jsonl")
        self.say(f"load: {a.rate:g} tx/s through the gateway for {seconds:.0f} s, resubmitting until acknowledged")
        load_log = open(os.path.join(self.work, "logs", "load.log"), "w")
        load = subprocess.Popen(["ip", "netns", "exec", ns("ops"), os.path.join(a.bin, "citychain-bench"), "chaos-load",
                                 "--gateway", f"{addr('gateway')}:7300", *self.agency_tls, "--genesis", self.genesis,
                                 "--agency", "parking-authority", "--signing-key", os.path.join(self.work, "keys", "parking-authority.json"),
                                 "--rate", str(a.rate), "--seconds", str(seconds), "--drain-seconds", "120",
                                 "--run-id", f"chaos-{a.seed}", "--record", record],
                                stdout=subprocess.PIPE, stderr=load_log, text=True)
        try:
            self.campaign(seconds)
        finally:
            # Whatever happened, undo every fault before the load drains.
            with open(os.path.join(self.work, "relay", "delay"), "w") as f:
                f.write("0 0\n")
            for v in VALIDATORS:
                self.nft_clear(v)
                p = self.procs.get(v)
                if p and p.poll() is None:
                    p.send_signal(signal.SIGCONT)
        self.say("faults over; the load drains (its unacknowledged transactions resubmitted until acknowledged, ≤ 120 s)")
        try:
            out, _ = load.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            load.kill()
            out, _ = load.communicate()
            self.findings.append("the load did not finish within 300 s of the campaign's end")
        load_log.close()
        summary = {}
        for line in (out or "").splitlines():
            if line.startswith("{"):
                summary = json.loads(line)
        if load.returncode != 0:
            self.findings.append(f"the load exited with status {load.returncode} (log: {self.work}/logs/load.log)")
        result = self.check(summary)
        self.report(result)
        return result

    def report(self, r):
        print()
        kinds = f" --kinds {self.a.kinds}" if self.a.kinds else ""
        print(f"chaos campaign, {r['minutes']:g} min, seed {r['seed']} (replay: deploy/chaos --minutes {r['minutes']:g} --seed {r['seed']} --rate {r['rate']:g}{kinds})")
        print(f"  faults injected: {r['faults']}: " + ", ".join(f"{k} {n}" for k, n in r["faults_by_kind"].items()))
        print(f"  transactions: {r['sent']} sent, {r['acknowledged']} acknowledged, {r['committed']} committed "
              f"({r['committed_unacknowledged']} of them not acknowledged), {r['duplicated']} duplicated, {r['lost']} lost, "
              f"{r['rejected']} rejected; {r['resubmits']} resubmits")
        print(f"  acknowledgement latency p50 {r['ack_p50_ms']} ms, p99 {r['ack_p99_ms']} ms, max {r['ack_max_ms']} ms")
        print(f"  heights: {r['heights']} on every validator, {r['heights_compared']} blocks compared: "
              + ("the same hash at every height" if r["validators_agree"] else "THEY DISAGREE"))
        print(f"  index: height {r['indexed_height']}, {r['index_rows_compared']} transactions compared: "
              + ("equal to the chain" if r["index_equal"] else "DIFFERENT from the chain"))
        print(f"  longest stall between commits: {r['longest_stall_ms']} ms before height {r['stall_at_height']} ({r['stall_near']}); "
              f"limit {r['stall_limit_ms']} ms")
        print(f"  slowest recovery: {r['slowest_recovery_s']} s after {r['slowest_recovery_fault']}; disks: {r['disk']}")
        print(f"  services that exited on their own and were restarted: {r['exits_expected']} expected (a validator halting on a full disk), "
              f"{r['exits_unexpected']} unexpected")
        for f in self.findings:
            print(f"  FAILED: {f}")
        print("chaos campaign " + ("passed" if r["ok"] else "FAILED"))
        print(json.dumps(r, separators=(",", ":")))

    def cleanup(self, ok):
        for name, p in list(self.procs.items()):
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.terminate()
        deadline = time.time() + 5
        for name, p in list(self.procs.items()):
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
        if self.pg_data and os.path.exists(os.path.join(self.pg_data, "postmaster.pid")):
            self.run([f"{self.pg_bin}/pg_ctl", "-D", self.pg_data, "-m", "immediate", "-w", "-t", "20", "stop"],
                     user="postgres", check=False, timeout=40)
        self.remove_namespaces()
        for d in self.mounts:
            subprocess.run(["umount", "-l", d], capture_output=True)
        if ok and not self.a.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            for d in ("pg", "data"):
                shutil.rmtree(os.path.join(self.work, d), ignore_errors=True)
            print(f"logs and the load's record kept in {self.work}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--rate", type=float, default=20)
    ap.add_argument("--work", default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--kinds", default=None, help="comma-separated fault kinds to deal (default: every kind of the deck)")
    a = ap.parse_args()
    if a.kinds:
        unknown = [k for k in a.kinds.split(",") if k not in FAULT_KINDS + EXTRA_KINDS]
        if unknown:
            ap.error(f"unknown fault kind(s) {', '.join(unknown)}; known: {', '.join(FAULT_KINDS + EXTRA_KINDS)}")
    if a.seed is None:
        a.seed = random.SystemRandom().randrange(1, 1 << 31)
    c = Campaign(a)
    ok = False

    def interrupted(signum, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, interrupted)
    try:
        r = c.main()
        ok = r["ok"]
    except Failed as e:
        print(f"chaos campaign FAILED to run: {e}", file=sys.stderr)
        for name in c.procs:
            path = os.path.join(c.work, "logs", f"{name}.log")
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    tail = f.readlines()[-6:]
                print(f"---- last lines of {name}.log", file=sys.stderr)
                sys.stderr.writelines(tail)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
    finally:
        c.cleanup(ok)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
