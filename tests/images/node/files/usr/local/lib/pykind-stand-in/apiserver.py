#!/usr/bin/env python3
# STAND-IN: not Kubernetes.
# A stand-in for kube-apiserver in the pykind test node image: listens on TCP 6443 (IPv4 and,
# when the node has IPv6, IPv6 too) and answers ANY HTTP request with 200 and a body naming
# this node's hostname, so load-balancer and port-mapping tests can see which node answered.
# Plain HTTP, no TLS, no Kubernetes API.
from __future__ import annotations

import http.server
import json
import socket
import socketserver
import sys

PORT = 6443
HOSTNAME = socket.gethostname()


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "pykind-stand-in-apiserver"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path.startswith(("/healthz", "/readyz", "/livez")):
            body = b"ok"
            ctype = "text/plain"
        else:
            body = json.dumps(
                {"standIn": "kube-apiserver STAND-IN: not Kubernetes", "node": HOSTNAME}
            ).encode()
            ctype = "application/json"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Stand-In-Node", HOSTNAME)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _answer

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


class DualStackServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True
    address_family = socket.AF_INET6

    def server_bind(self) -> None:
        # one socket for both families: [::]:6443 also accepts IPv4 (mapped addresses)
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


class IPv4Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True


def main() -> int:
    server: http.server.HTTPServer
    try:
        server = DualStackServer(("::", PORT), Handler)
        where = f"[::]:{PORT} (IPv4 and IPv6)"
    except OSError:
        server = IPv4Server(("0.0.0.0", PORT), Handler)
        where = f"0.0.0.0:{PORT}"
    print(
        f"kube-apiserver STAND-IN (not Kubernetes) for {HOSTNAME} listening on {where}", flush=True
    )
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
