"""A real SMTP server on loopback for tally's mail tests (aiosmtpd).

python3 tests/smtp_server.py PORT DIR [tls|starttls CERT KEY]

With `tls` the server speaks TLS from the first byte; with `starttls` it
requires STARTTLS before mail; either way presenting CERT (and KEY).

Accepts every message and writes DIR/NNN.json with what a mail client
would show: recipients, subject, both bodies, and each attachment's decoded
file name and SHA-256. Refuses (550) any recipient containing "refuse".
Prints "ready" once listening; runs until killed.
"""
import asyncio
import email
import hashlib
import itertools
import json
import os
import ssl
import sys
from email import policy

from aiosmtpd.controller import Controller

counter = itertools.count(1)


class Handler:
    def __init__(self, folder):
        self.folder = folder

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "refuse" in address:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        body = lambda kind: (msg.get_body((kind,)) or None)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "message_id": str(msg["Message-ID"]),
            "text": body("plain").get_content() if body("plain") else "",
            "html": body("html").get_content() if body("html") else "",
            "attachments": [
                {
                    "filename": part.get_filename(),
                    "sha256": hashlib.sha256(part.get_content()).hexdigest(),
                }
                for part in msg.iter_attachments()
            ],
            "raw_headers": envelope.content.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace"),
        }
        path = os.path.join(self.folder, "%03d.json" % next(counter))
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(path + ".tmp", path)
        return "250 Message accepted"


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    kwargs = {}
    if len(sys.argv) > 3:
        mode, cert, key = sys.argv[3], sys.argv[4], sys.argv[5]
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        if mode == "tls":
            kwargs["ssl_context"] = context
        else:
            kwargs["tls_context"] = context
            kwargs["require_starttls"] = True
    controller = Controller(Handler(folder), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
