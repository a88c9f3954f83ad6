#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A small threaded HTTP/1.1 server for kbitsd's tests, on 127.0.0.1.

    httpd.py ROOT PORTFILE [--tls CERT KEY]

Serves the files under ROOT; writes the port it listens on to PORTFILE.
The path picks the behaviour:
    /file/NAME     NAME, with Range support (206)
    /slow/NAME     as /file/, 64 KiB every 50 ms
    /drop/NAME     the first request for NAME: the headers of the whole file,
                   half of it, then the connection closes; then as /file/
    /norange/NAME  NAME, always whole (200), whatever the Range
    /chunked/NAME  NAME, always whole (200), chunked: no Content-Length, no
                   ranges (dynamic content)
    /chunkslow/NAME  as /chunked/, 64 KiB every 50 ms
    /500/NAME      the first request: 500; then as /file/
    /404           404
Uploads (PUT or POST, the body's length in Content-Length):
    /reply/NAME    reads the body, answers 200 with "SHA256-HEX LENGTH\n" of it
    /slowput/NAME  reads the body 64 KiB every 50 ms (a small receive
                   buffer) and stores it as ROOT/NAME when it came whole;
                   answers 201 with "SHA256-HEX LENGTH\n"
    /bigreply/NAME reads the body, answers 200 with 16 MiB + 1 bytes
A body cut short is logged "-> cut" and neither stored nor answered.
A request in a proxy's absolute form (GET http://HOST/PATH) is served as
PATH, and logged with "PROXY".  Every request is logged to stderr as
"METHOD PATH RANGE -> STATUS", with the value of its X-Kbits-Test header
if it has one.
"""
import hashlib
import os
import re
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = sys.argv[1]
seen = set()
seen_lock = threading.Lock()


def first_time(key):
    with seen_lock:
        if key in seen:
            return False
        seen.add(key)
        return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        pass

    def log(self, status):
        extra = ''
        if self.proxied:
            extra += ' PROXY'
        if 'X-Kbits-Test' in self.headers:
            extra += ' X-Kbits-Test=%s' % self.headers['X-Kbits-Test']
        sys.stderr.write('%s %s %s -> %s%s\n' % (self.command, self.path,
                                                 self.headers.get('Range', '-'), status,
                                                 extra))
        sys.stderr.flush()

    def error(self, status):
        self.log(status)
        body = b'error %d\n' % status
        self.send_response(status)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.proxied = False
        p = re.fullmatch(r'http://[^/]+(/.*)', self.path)
        if p:
            self.proxied = True
            self.path = p.group(1)
        m = re.fullmatch(r'/(file|slow|drop|norange|chunked|chunkslow|500)/([A-Za-z0-9._-]+)', self.path)
        if not m:
            return self.error(404)
        mode, name = m.groups()
        path = os.path.join(ROOT, name)
        if not os.path.isfile(path):
            return self.error(404)
        if mode == '500' and first_time(self.path):
            return self.error(500)
        with open(path, 'rb') as f:
            data = f.read()
        size = len(data)
        if mode in ('chunked', 'chunkslow'):
            return self.chunked(data, mode == 'chunkslow')
        start = 0
        status = 200
        rng = self.headers.get('Range')
        if rng and mode != 'norange':
            r = re.fullmatch(r'bytes=(\d+)-(\d*)', rng.strip())
            if r:
                start = int(r.group(1))
                end = int(r.group(2)) if r.group(2) else size - 1
                if start >= size:
                    self.log(416)
                    self.send_response(416)
                    self.send_header('Content-Range', 'bytes */%d' % size)
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                    return
                end = min(end, size - 1)
                data = data[start:end + 1]
                status = 206
        self.log(status)
        self.send_response(status)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Length', str(len(data)))
        if status == 206:
            self.send_header('Content-Range', 'bytes %d-%d/%d' % (start, start + len(data) - 1, size))
        self.end_headers()
        if mode == 'drop' and first_time(self.path):
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        step = 64 * 1024
        try:
            for off in range(0, len(data), step):
                self.wfile.write(data[off:off + step])
                if mode == 'slow':
                    self.wfile.flush()
                    time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def upload(self):
        self.proxied = False
        m = re.fullmatch(r'/(reply|slowput|bigreply)/([A-Za-z0-9._-]+)', self.path)
        length = int(self.headers.get('Content-Length', '-1'))
        if not m or length < 0:
            self.close_connection = True
            return self.error(404)
        mode, name = m.groups()
        h = hashlib.sha256()
        got = bytearray()
        step = 64 * 1024 if mode == 'slowput' else 1 << 20
        while len(got) < length:
            part = self.rfile.read(min(step, length - len(got)))
            if not part:
                break
            got += part
            if mode == 'slowput':
                time.sleep(0.05)
        if len(got) < length:
            self.log('cut')
            self.close_connection = True
            return
        h.update(got)
        if mode == 'slowput':
            tmp = os.path.join(ROOT, '.' + name + '.tmp')
            with open(tmp, 'wb') as f:
                f.write(got)
            os.rename(tmp, os.path.join(ROOT, name))
        body = b'%s %d\n' % (h.hexdigest().encode(), len(got))
        status = 201 if mode == 'slowput' else 200
        if mode == 'bigreply':
            body = b'x' * ((16 << 20) + 1)
        self.log('%d len=%d' % (status, len(got)))
        self.send_response(status)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_PUT = upload
    do_POST = upload

    def chunked(self, data, slow):
        self.log(200)
        self.send_response(200)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()
        step = 64 * 1024
        try:
            for off in range(0, len(data), step):
                part = data[off:off + step]
                self.wfile.write(b'%x\r\n' % len(part) + part + b'\r\n')
                self.wfile.flush()
                if slow:
                    time.sleep(0.05)
            self.wfile.write(b'0\r\n\r\n')
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def main():
    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler, bind_and_activate=False)
    # a small receive buffer (no autotuning): /slowput/ holds its client back
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    server.server_bind()
    server.server_activate()
    server.daemon_threads = True
    if len(sys.argv) == 6 and sys.argv[3] == '--tls':
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[4], sys.argv[5])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with open(sys.argv[2] + '.tmp', 'w') as f:
        f.write('%d\n' % server.server_address[1])
    os.rename(sys.argv[2] + '.tmp', sys.argv[2])
    server.serve_forever()


if __name__ == '__main__':
    main()
