#!/usr/bin/python3
"""A real SMTP server for the delivery tests (Debian's python3-aiosmtpd), on 127.0.0.1.

    smtp_receiver.py --log FILE --port-file FILE [--user U --password P] [--tls-dir DIR]

Listens on a free port and writes it to --port-file once ready. Each accepted message
becomes one JSON line in --log: the envelope (mail_from, rcpt_tos), the login used (or
null), the raw message as received, and what Python's e-mail parser reads from it (every
header, the decoded Subject, the decoded body). Recipients whose local part is `refused`
get 550, `later` get 451. --user enables AUTH (PLAIN, LOGIN) without TLS; --tls-dir offers
STARTTLS with a self-signed certificate made there with openssl.
"""
import argparse
import asyncio
import email
import email.header
import email.policy
import json
import os
import socket
import ssl
import subprocess

from aiosmtpd.smtp import SMTP, AuthResult


class Handler:
    def __init__(self, log_path):
        self.log_path = log_path

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0]
        if local == "refused":
            return "550 5.1.1 recipient refused"
        if local == "later":
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
        subject = parsed.get("Subject")
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "login": getattr(session, "trailhound_login", None),
            "raw": raw.decode("utf-8", "backslashreplace"),
            "headers": [[name, value] for name, value in parsed.items()],
            "subject": str(email.header.make_header(email.header.decode_header(subject)))
            if subject is not None else None,
            "body": parsed.get_payload(decode=True).decode("utf-8", "backslashreplace"),
        }
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")
        return "250 2.0.0 queued as trailhound-test"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        good = (auth_data.login.decode() == user and auth_data.password.decode() == password)
        if good:
            session.trailhound_login = user
        # handled=False: aiosmtpd itself answers 535 to a refused login
        return AuthResult(success=good, handled=False)
    return check


def tls_context(directory):
    certificate, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", key, "-out", certificate],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    return context


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--tls-dir")
    options = parser.parse_args()
    handler = Handler(options.log)
    context = tls_context(options.tls_dir) if options.tls_dir else None
    settings = {"hostname": "trailhound-test", "tls_context": context, "auth_require_tls": False}
    if options.user:
        settings["authenticator"] = authenticator(options.user, options.password)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    loop.run_until_complete(loop.create_server(lambda: SMTP(handler, **settings), sock=listener))
    temporary = options.port_file + ".tmp"
    with open(temporary, "w", encoding="ascii") as port_file:
        port_file.write(str(listener.getsockname()[1]))
    os.replace(temporary, options.port_file)
    loop.run_forever()


if __name__ == "__main__":
    main()
