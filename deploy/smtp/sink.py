#!/usr/bin/python3
"""deploy/smtp/sink.py — a small SMTP sink for anpi's tests, on aiosmtpd.

It accepts mail on 127.0.0.1 and writes every accepted message, as one JSON
line, to DIR/messages.jsonl:

    {"from": "<envelope sender>", "to": ["<recipient>", ...],
     "data": "<the message text>", "received_at": <epoch seconds, float>}

The line is written, flushed and fsynced before the message is answered 250,
so a sink killed with SIGKILL has lost nothing it had already accepted. The
message text is the DATA as received (dot-unstuffed, CRLF line ends), decoded
as UTF-8 with invalid bytes replaced. Each line has an "id"; once the 250 has
been handed to the kernel, the line {"answered": "<id>"} is appended to
DIR/answered.jsonl. A message in messages.jsonl whose id is not there was
stored but its sender may never have heard the 250 (the sink was killed in
between): the sender rightly sends it again, and the recipient gets it twice
(RFC 1047 describes these duplicates; by RFC 5321 section 6.1 the server takes
responsibility for a message only by answering it).

Usage (Debian's python3, where the package python3-aiosmtpd installs aiosmtpd;
deploy/ensure-services.sh --browser installs it):

    /usr/bin/python3 deploy/smtp/sink.py --port 2525 --out /tmp/sink \\
        [--reject PATTERN]... [--auth USER:PASSWORD] [--delay-ms N] \\
        [--exit-on-stdin-eof]

    --port N            listen on 127.0.0.1:N
    --out DIR           append accepted messages to DIR/messages.jsonl
    --reject PATTERN    (repeatable) a RCPT TO whose address contains PATTERN is
                        answered "550 5.1.1 No such user"
    --auth USER:PASS    require SMTP AUTH (PLAIN or LOGIN) with these credentials
                        before MAIL; allowed without TLS (loopback only)
    --delay-ms N        wait N ms after the end of DATA before answering it
                        (makes every send slow, for tests)
    --exit-on-stdin-eof exit when standard input is closed (the test harness keeps
                        a pipe open, so the sink dies with the test process)

It prints "ready" on standard output once it listens. Any number of
connections at once, any number of messages a connection; messages up to 10 MB.
The test harness (tests/harness/src/smtp.rs, SmtpSink) starts it.
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import ssl
import sys
import threading
import time
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

DATA_SIZE_LIMIT = 10 * 1024 * 1024
NO_SUCH_USER = "550 5.1.1 No such user"


class Sink:
    """The aiosmtpd handler: rejects recipients, records messages."""

    def __init__(self, out_path, answered_path, reject, delay_ms):
        self.reject = list(reject)
        self.delay = delay_ms / 1000.0
        # Unique across restarts of the sink on the same directory.
        self.prefix = "%d-%d" % (os.getpid(), time.time_ns())
        self.next = 0
        self.answered_fd = os.open(
            answered_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644
        )
        # O_APPEND: every os.write lands at the end, even after a restart.
        self.fd = os.open(out_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        # A sink killed in the middle of a line (it should not happen: one write a
        # line) must not glue that line to the next one.
        size = os.fstat(self.fd).st_size
        if size > 0:
            with open(out_path, "rb") as existing:
                existing.seek(size - 1)
                if existing.read(1) != b"\n":
                    self._write(b"\n")

    def _write(self, data):
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if any(pattern in address for pattern in self.reject):
            return NO_SUCH_USER
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        content = envelope.content
        if isinstance(content, bytes):
            content = content.decode("utf-8", errors="replace")
        self.next += 1
        record_id = "%s-%d" % (self.prefix, self.next)
        record = {
            "id": record_id,
            # Whether the mail came over TLS (STARTTLS with --tls-cert).
            "tls": session.ssl is not None,
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "data": content,
            "received_at": time.time(),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        # Synchronous on purpose: the line is on disk before the 250 goes out, and
        # no other connection's line can interleave with it.
        self._write(line.encode("utf-8"))
        os.fsync(self.fd)
        session.sink_unanswered = record_id
        return "250 2.0.0 OK: queued"

    def answered(self, record_id):
        """Notes that the 250 for `record_id` has been handed to the kernel."""
        line = json.dumps({"answered": record_id}) + "\n"
        os.write(self.answered_fd, line.encode("ascii"))


class SinkSMTP(SMTP):
    """aiosmtpd's server, noting when the answer to a stored message has gone out."""

    async def push(self, status):
        await super().push(status)
        session = self.session
        record_id = getattr(session, "sink_unanswered", None) if session else None
        if record_id is not None:
            session.sink_unanswered = None
            self.event_handler.answered(record_id)


def make_authenticator(user, password):
    expected = LoginPassword(user.encode("utf-8"), password.encode("utf-8"))

    def authenticator(server, session, envelope, mechanism, auth_data):
        if mechanism not in ("PLAIN", "LOGIN"):
            return AuthResult(success=False, handled=False)
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = auth_data.login == expected.login and auth_data.password == expected.password
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticator


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="SMTP sink for anpi's tests: records accepted mail as JSON lines."
    )
    parser.add_argument("--port", type=int, required=True, help="listen on 127.0.0.1:PORT")
    parser.add_argument("--out", required=True, help="directory for messages.jsonl")
    parser.add_argument(
        "--reject",
        action="append",
        default=[],
        metavar="PATTERN",
        help="answer 550 to a RCPT whose address contains PATTERN (repeatable)",
    )
    parser.add_argument(
        "--auth", metavar="USER:PASSWORD", help="require SMTP AUTH PLAIN/LOGIN"
    )
    parser.add_argument(
        "--delay-ms", type=int, default=0, help="sleep N ms before answering DATA"
    )
    parser.add_argument(
        "--tls-cert",
        metavar="PEM",
        help="offer STARTTLS with this certificate (chain) and require it before MAIL",
    )
    parser.add_argument("--tls-key", metavar="PEM", help="the private key of --tls-cert")
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="exit when standard input is closed",
    )
    args = parser.parse_args(argv)
    if args.auth is not None and ":" not in args.auth:
        parser.error("--auth wants USER:PASSWORD")
    if args.delay_ms < 0:
        parser.error("--delay-ms must be >= 0")
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    return args


def watch_stdin():
    """Exits the process when standard input reaches end of file."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except OSError:
        pass
    os._exit(0)


async def serve(args):
    os.makedirs(args.out, exist_ok=True)
    handler = Sink(
        os.path.join(args.out, "messages.jsonl"),
        os.path.join(args.out, "answered.jsonl"),
        args.reject,
        args.delay_ms,
    )
    smtp_options = {
        "data_size_limit": DATA_SIZE_LIMIT,
        "enable_SMTPUTF8": True,
        # Not socket.getfqdn(): that may wait on DNS.
        "hostname": "anpi-smtp-sink.localhost",
    }
    if args.auth is not None:
        user, password = args.auth.split(":", 1)
        smtp_options.update(
            auth_required=True,
            auth_require_tls=False,
            authenticator=make_authenticator(user, password),
        )
    if args.tls_cert is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        smtp_options.update(tls_context=context, require_starttls=True)
        if args.auth is not None:
            smtp_options.update(auth_require_tls=True)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SinkSMTP(handler, loop=loop, **smtp_options),
        host="127.0.0.1",
        port=args.port,
        reuse_address=True,
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print("ready", flush=True)
    async with server:
        await stop.wait()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # aiosmtpd warns on every connection that AUTH without TLS is insecure: on
    # loopback in tests it is what we want.
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.ERROR, format="sink: %(levelname)s %(name)s: %(message)s")
    if args.exit_on_stdin_eof:
        threading.Thread(target=watch_stdin, daemon=True).start()
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
