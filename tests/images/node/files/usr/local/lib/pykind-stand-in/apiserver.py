#!/usr/bin/env python3
# STAND-IN: not Kubernetes.
# A stand-in for kube-apiserver in the pykind test node image: listens on TCP 6443 (IPv4 and,
# when the node has IPv6, IPv6 too) and answers ANY HTTP request with 200 and a body naming
# this node's hostname, so load-balancer and port-mapping tests can see which node answered.
# Each connection may speak plain HTTP or HTTPS (the first byte decides; the certificate is a
# self-signed stand-in one, so clients must not verify it), which lets TLS health checks of a
# load balancer pass. There is no Kubernetes API here.
from __future__ import annotations

import http.server
import json
import socket
import socketserver
import ssl
import sys
from typing import Any

PORT = 6443
HOSTNAME = socket.gethostname()
TLS_DIR = "/usr/local/lib/pykind-stand-in/tls"
TLS_HANDSHAKE = b"\x16"


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


def tls_context() -> ssl.SSLContext | None:
    try:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(f"{TLS_DIR}/apiserver.crt", f"{TLS_DIR}/apiserver.key")
        return context
    except (OSError, ssl.SSLError) as exc:
        print(f"no TLS (plain HTTP only): {exc}", file=sys.stderr, flush=True)
        return None


class SniffingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """Serves plain HTTP or, when a connection starts with a TLS handshake, HTTPS."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    context: ssl.SSLContext | None = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        conn = request
        try:
            request.settimeout(30)
            first = request.recv(1, socket.MSG_PEEK)
            if first == TLS_HANDSHAKE and self.context is not None:
                conn = self.context.wrap_socket(request, server_side=True)
            self.RequestHandlerClass(conn, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            if conn is not request:
                conn.close()


class DualStackServer(SniffingServer):
    address_family = socket.AF_INET6

    def server_bind(self) -> None:
        # one socket for both families: [::]:6443 also accepts IPv4 (mapped addresses)
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def main() -> int:
    server: SniffingServer
    try:
        server = DualStackServer(("::", PORT), Handler)
        where = f"[::]:{PORT} (IPv4 and IPv6)"
    except OSError:
        server = SniffingServer(("0.0.0.0", PORT), Handler)
        where = f"0.0.0.0:{PORT}"
    server.context = tls_context()
    tls = "HTTP and HTTPS" if server.context else "HTTP"
    print(f"kube-apiserver STAND-IN (not Kubernetes) for {HOSTNAME}: {tls} on {where}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
