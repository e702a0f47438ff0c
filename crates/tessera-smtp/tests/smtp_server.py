"""A real SMTP server (aiosmtpd) for tessera-smtp's tests.

Listens on 127.0.0.1 (an ephemeral port unless --port is given), prints `READY <port>` on
standard output once it accepts connections, and writes every message it receives to
`<dir>/NNNN.json` (written to a temporary name, then renamed) with the envelope, whether
the connection was encrypted, who authenticated, the raw message, and what Python's own
`email` parser makes of it (headers and the decoded text/plain and text/html parts).

    python3 smtp_server.py --dir DIR [--port N] [--mode plain|starttls|smtps]
                           [--cert PEM --key PEM] [--auth USER:PASSWORD]

Modes: `plain` (no TLS), `starttls` (offers STARTTLS; AUTH only after it), `smtps`
(TLS from the first byte). With --auth, AUTH PLAIN/LOGIN is required before MAIL FROM.
It exits on SIGTERM, and when standard input closes (so it cannot outlive the test that
started it) unless --no-stdin-watch is given.
"""

import argparse
import asyncio
import email
import email.policy
import json
import logging
import os
import signal
import ssl
import sys
import threading
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {}
        for part in msg.walk():
            ctype = part.get_content_type()
            if ctype in ("text/plain", "text/html") and not part.is_multipart():
                parts[ctype] = part.get_content()
        auth = session.auth_data
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "auth_user": auth.login.decode("utf-8") if isinstance(auth, LoginPassword) else None,
            "content_type": msg.get_content_type(),
            "headers": {k.lower(): str(v) for k, v in msg.items()},
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
            "raw": raw.decode("utf-8", "replace"),
        }
        self.count += 1
        name = os.path.join(self.directory, "%04d.json" % self.count)
        with open(name + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, indent=1)
        os.replace(name + ".tmp", name)
        return "250 Message accepted for delivery"


def authenticator(expected):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and (auth_data.login.decode("utf-8"), auth_data.password.decode("utf-8")) == expected
        )
        # handled=False: aiosmtpd answers a failure with 535 itself.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return check


async def main():
    # aiosmtpd's deprecation notices and its warning about AUTH without STARTTLS (which is
    # what `smtps` mode does, over TLS) are noise in test output.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--mode", choices=["plain", "starttls", "smtps"], default="plain")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--auth")
    p.add_argument("--no-stdin-watch", action="store_true", help="do not exit when stdin closes")
    a = p.parse_args()

    context = None
    if a.mode != "plain":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.cert, a.key)
    expected = tuple(a.auth.split(":", 1)) if a.auth else None
    handler = Recorder(a.dir)

    def factory():
        kwargs = dict(hostname="tessera-test-smtp", timeout=30)
        if a.mode == "starttls":
            kwargs.update(tls_context=context, require_starttls=False)
        if expected:
            kwargs.update(
                authenticator=authenticator(expected),
                auth_required=True,
                # Over `smtps` the whole connection is encrypted already.
                auth_require_tls=(a.mode != "smtps"),
            )
        return SMTP(handler, **kwargs)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        factory, "127.0.0.1", a.port, ssl=context if a.mode == "smtps" else None
    )
    port = server.sockets[0].getsockname()[1]
    print("READY %d" % port, flush=True)

    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    if not a.no_stdin_watch:
        # Standard input closing means the test process is gone.
        def watch():
            while sys.stdin.buffer.read(4096):
                pass
            loop.call_soon_threadsafe(stop.set)

        threading.Thread(target=watch, daemon=True).start()
    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
