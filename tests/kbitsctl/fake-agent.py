#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A stand-in for kbitsd in kbitsctl's VM tests: it attaches as the agent
and moves jobs along by the raw ioctls, without transferring anything, so
that transfer, monitor, files and error can be tested without kbitsd.

    fake-agent.py READYFILE

Writes READYFILE once attached.  For each job that becomes QUEUED it looks
at the job's display name:
    [ignore]     leaves it QUEUED
    [404]        final error: REMOTE_FILE, HTTP 404 (KBITS_ERROR_HTTP), file 0, "Not Found"
    [refused]    final error: REMOTE_FILE, errno ECONNREFUSED (111: an errno in
                 HTTP's range, without KBITS_ERROR_HTTP), file 0, "connect failed"
    [enoent]     final error: REMOTE_FILE, errno ENOENT, file 0, "open failed"
    [transient]  transient error: TRANSPORT, ECONNREFUSED, no file
    [slow]       each file as 1000 bytes in 4 steps, 0.4 s apart, then TRANSFERRED
    [half]       file 0 complete (1000 bytes), the others 500 of 1000; stays TRANSFERRING
    otherwise    each file complete (1000 bytes), then TRANSFERRED
Runs until killed.
"""
import ctypes
import errno
import fcntl
import os
import struct
import sys
import time

MAGIC = 0xBC


def ioc(d, nr, size):
    return (d << 30) | (size << 16) | (MAGIC << 8) | nr


W, R = 1, 2
AGENT_ATTACH = ioc(0, 0x04, 0)
GET_JOB = ioc(W, 0x02, 40)
TAKE_JOB = ioc(W, 0x20, 32)
PROGRESS = ioc(W, 0x21, 48)
ERROR = ioc(W, 0x22, 56)
TRANSFERRED = ioc(W, 0x23, 32)
GET_DISPLAY_NAME = ioc(R | W, 0x44, 24)
GET_PROGRESS = ioc(R, 0x4d, 24)

EVENT_QUEUED = 1
CTX_REMOTE_FILE, CTX_TRANSPORT = 3, 4
NO_FILE = 0xffffffff
SIZE_UNKNOWN = 0xffffffffffffffff
FILE_COMPLETED = 1
ERROR_TRANSIENT = 1
ERROR_HTTP = 2


def call(fd, req, buf):
    b = bytearray(buf)
    return fcntl.ioctl(fd, req, b), b


def job_name_and_files(dev, gid):
    jfd, _ = call(dev, GET_JOB, struct.pack('<II16s16x', 40, 0, gid))
    try:
        name = ctypes.create_string_buffer(300)
        call(jfd, GET_DISPLAY_NAME, struct.pack('<IIQQ', 24, 300, ctypes.addressof(name), 0))
        _, p = call(jfd, GET_PROGRESS, bytes(24))
        files_total = struct.unpack('<QQII', p)[2]
        return name.value.decode(), files_total
    finally:
        os.close(jfd)


def progress(agent, gid, index, total, done, flags):
    call(agent, PROGRESS, struct.pack('<II16sQQII', 48, index, gid, total, done, flags, 0))


def error(agent, gid, flags, context, code, index, text):
    t = ctypes.create_string_buffer(text.encode())
    call(agent, ERROR, struct.pack('<II16sIiIIQQ', 56, flags, gid, context, code, index,
                                   len(text.encode()), ctypes.addressof(t), 0))


def work(dev, agent, gid):
    name, nfiles = job_name_and_files(dev, gid)
    if '[ignore]' in name:
        return
    call(agent, TAKE_JOB, struct.pack('<II16sQ', 32, 0, gid, 0))
    if '[404]' in name:
        progress(agent, gid, 0, SIZE_UNKNOWN, 0, 0)
        error(agent, gid, ERROR_HTTP, CTX_REMOTE_FILE, 404, 0, 'Not Found')
        return
    if '[refused]' in name:
        error(agent, gid, 0, CTX_REMOTE_FILE, errno.ECONNREFUSED, 0, 'connect failed')
        return
    if '[enoent]' in name:
        error(agent, gid, 0, CTX_REMOTE_FILE, errno.ENOENT, 0, 'open failed')
        return
    if '[transient]' in name:
        error(agent, gid, ERROR_TRANSIENT, CTX_TRANSPORT, errno.ECONNREFUSED, NO_FILE,
              'connection refused')
        return
    if '[half]' in name:
        for i in range(nfiles):
            progress(agent, gid, i, 1000, 1000 if i == 0 else 500,
                     FILE_COMPLETED if i == 0 else 0)
        return
    for i in range(nfiles):
        if '[slow]' in name:
            for done in (0, 250, 500, 750):
                progress(agent, gid, i, 1000, done, 0)
                time.sleep(0.4)
        progress(agent, gid, i, 1000, 1000, FILE_COMPLETED)
    call(agent, TRANSFERRED, struct.pack('<II16sQ', 32, 0, gid, 0))


def main():
    dev = os.open('/dev/kbits', os.O_RDWR)
    agent = fcntl.ioctl(dev, AGENT_ATTACH, 0)
    with open(sys.argv[1], 'w') as f:
        f.write('%d\n' % os.getpid())
    while True:
        rec = os.read(agent, 32)
        gid, kind, _state, _seq = struct.unpack('<16sIIQ', rec)
        if kind != EVENT_QUEUED:
            continue
        try:
            work(dev, agent, gid)
        except OSError as e:	# suspended or cancelled meanwhile
            sys.stderr.write('fake-agent: %s\n' % e)


main()
