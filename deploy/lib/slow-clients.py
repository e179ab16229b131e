#!/usr/bin/env python3
"""Slow clients for `citychain-bench slow-clients` (issue 17 item 2): N mutual-TLS 1.3 connections,
each sends the 4-byte length of a large frame and part of its body, then holds the connection
without sending more, until the server closes it or --hold-seconds pass. Prints one JSON line:
how many connections were refused at the handshake, closed by the server (with the first bytes it
sent), and still open at the end."""
import argparse, json, socket, ssl, struct, threading, time

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True); p.add_argument("--key", required=True); p.add_argument("--ca", required=True)
    p.add_argument("--connections", type=int, default=100)
    p.add_argument("--frame-bytes", type=int, default=4 * 1024 * 1024)
    p.add_argument("--send-bytes", type=int, default=3_670_016)
    p.add_argument("--hold-seconds", type=float, default=10)
    p.add_argument("--ready-file", required=True, help="written once every connection has sent its bytes (or failed)")
    a = p.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False
    ctx.load_verify_locations(a.ca)
    ctx.load_cert_chain(a.cert, a.key)
    results, lock = [], threading.Lock()
    sent_all = threading.Barrier(a.connections + 1)
    deadline = time.monotonic() + a.hold_seconds

    def one(i):
        outcome = "open"
        try:
            raw = socket.create_connection(("127.0.0.1", a.port), timeout=30)
            s = ctx.wrap_socket(raw)
            body = struct.pack(">I", a.frame_bytes) + b"\x5a" * a.send_bytes
            try:
                s.sendall(body)
            except OSError:
                outcome = "closed while sending"
        except (OSError, ssl.SSLError) as e:
            outcome = "handshake refused: %s" % e.__class__.__name__
            s = None
        try:
            sent_all.wait(timeout=120)
        except threading.BrokenBarrierError:
            pass
        if s is not None and outcome == "open":
            s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                got = s.recv(4096)
                outcome = "closed by server" if got is not None else outcome
            except socket.timeout:
                outcome = "open"
            except (OSError, ssl.SSLError):
                outcome = "closed by server"
        with lock:
            results.append(outcome)
        if s is not None:
            s.close()

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(a.connections)]
    for t in threads: t.start()
    try:
        sent_all.wait(timeout=120)
    except threading.BrokenBarrierError:
        pass
    open(a.ready_file, "w").write("sent\n")
    for t in threads: t.join(timeout=a.hold_seconds + 60)
    summary = {}
    for r in results: summary[r] = summary.get(r, 0) + 1
    print(json.dumps({"connections": a.connections, "outcomes": summary}))

if __name__ == "__main__":
    main()
