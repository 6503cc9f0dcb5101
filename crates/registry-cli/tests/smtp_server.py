"""A mail server for the tests of `registry notify`: aiosmtpd on loopback.

Usage: python3 smtp_server.py PORT DIR

Each message accepted is written to DIR as NNNN.eml (the message as received, after an
`X-Envelope-To:` line) and NNNN.txt (its text parts decoded, for the tests to read). A
recipient whose address starts with `refuse` is refused with 550, as a server refuses an
unknown mailbox. Prints `ready` once listening; stops when its standard input closes.
"""

import email
import email.policy
import itertools
import os
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, out):
        self.out = out
        self.numbers = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.numbers)
        base = os.path.join(self.out, "%04d" % n)
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        texts = []
        for part in message.walk():
            if part.get_content_maintype() == "text":
                texts.append(part.get_content())
        header = "X-Envelope-To: %s\r\n" % ",".join(envelope.rcpt_tos)
        with open(base + ".txt.part", "w", encoding="utf-8") as f:
            f.write("To: %s\nSubject: %s\n\n" % (",".join(envelope.rcpt_tos), message["subject"]))
            f.write("\n".join(texts))
        with open(base + ".eml", "wb") as f:
            f.write(header.encode() + raw)
        os.rename(base + ".txt.part", base + ".txt")
        return "250 Message accepted"


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Handler(out), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
