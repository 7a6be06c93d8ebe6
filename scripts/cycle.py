#!/usr/bin/env python3
"""The sample month end to end, against mail servers on loopback.

    python3 scripts/cycle.py [WORK]

Starts Dovecot (the bureau's reporting mailbox) and the aiosmtpd test
server (everyone's outgoing mail), mails each workbook of the sample inbox
to the reporting address from its unit's 邮箱, then runs the cycle as a
bureau would:

    tally fetch --reply   the mails into WORK/inbox/2022-03, each answered
    tally check           what is wrong, by file
    tally run             the consolidated workbook, data, feedback
    tally mail            the leaders and every unit

and prints what each step said and what the SMTP server received. Needs
dovecot-imapd and aiosmtpd (`.ci/run` installs both); WORK defaults to a
temporary folder, kept for looking at.
"""
import email.message
import email.utils
import imaplib
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
USER, PASSWORD = "stats@example.org", "secret"
# The sample plan's 邮箱 (examples/make_samples.rs).
SENDERS = {
    "清泉镇": "town1@example.org", "位奇镇": "town2@example.org",
    "大马营镇": "town3@example.org", "霍城镇": "town4@example.org",
    "陈户镇": "town5@example.org", "李桥乡": "town6@example.org",
    "花寨乡": "town8@example.org", "发改局": "fgj@example.org",
    "住建局": "zjj@example.org", "林草局": "lcj@example.org",
    "应急管理局": "yjj@example.org", "农业农村局": "nyj@example.org",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_dovecot(work):
    d = work / "dovecot"
    (d / "run").mkdir(parents=True, exist_ok=True)
    (d / "mail").mkdir(exist_ok=True)
    p = d
    while p != p.parent:
        os.chmod(p, 0o755) if os.access(p, os.W_OK) else None
        p = p.parent
    os.chmod(d / "mail", 0o777)
    (d / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    port = free_port()
    (d / "dovecot.conf").write_text(f"""protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/run
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:{d}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""")
    proc = subprocess.Popen(["dovecot", "-F", "-c", str(d / "dovecot.conf")])
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    sys.exit("dovecot did not start: " + (d / "dovecot.log").read_text())


def start_smtp(work):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests/smtp_server.py"), str(port), str(work / "sent")],
        stdout=subprocess.PIPE)
    if proc.stdout.readline().strip() != b"ready":
        sys.exit("the SMTP server did not start (pip install aiosmtpd)")
    return proc, port


def mail_the_samples(port):
    imap = imaplib.IMAP4("127.0.0.1", port)
    imap.login(USER, PASSWORD)
    inbox = ROOT / "samples/inbox/2022-03"
    sent = 0
    for k, path in enumerate(sorted(inbox.iterdir())):
        sender = next((a for n, a in SENDERS.items() if n in path.name), "clerk@other.example")
        msg = email.message.EmailMessage()
        msg["From"], msg["To"] = sender, USER
        msg["Subject"] = f"3月报表 {path.stem}"
        msg["Date"] = email.utils.format_datetime(
            email.utils.localtime().replace(year=2022, month=4, day=5, hour=9, minute=k))
        msg["Message-ID"] = email.utils.make_msgid(domain=sender.split("@")[1])
        msg.set_content("请查收本单位3月报表。")
        msg.add_attachment(path.read_bytes(), maintype="application",
                           subtype="octet-stream", filename=path.name)
        imap.append("INBOX", None, None, msg.as_bytes())
        sent += 1
    imap.logout()
    return sent


def tally(binary, *args):
    print("\n$ tally " + " ".join(str(a) for a in args), flush=True)
    env = dict(os.environ, TALLY_IMAP_PASSWORD=PASSWORD)
    result = subprocess.run([binary, *map(str, args)], env=env)
    print(f"（退出码 {result.returncode}）", flush=True)
    return result.returncode


def main():
    subprocess.run(["cargo", "build", "--quiet", "--bin", "tally"], cwd=ROOT, check=True)
    meta = json.loads(subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
                                     cwd=ROOT, capture_output=True, check=True).stdout)
    binary = pathlib.Path(meta["target_directory"]) / "debug/tally"
    work = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="tally-cycle-"))
    work.mkdir(parents=True, exist_ok=True)
    dovecot, imap_port = start_dovecot(work)
    smtp, smtp_port = start_smtp(work)
    try:
        print(f"{mail_the_samples(imap_port)} 封邮件已发到报送邮箱 {USER}")
        config = work / "tally.toml"
        config.write_text(f"""[org]
name = "示范县统计局"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"

[mail]
from = "示范县统计局 <{USER}>"
leaders = ["leader1@example.org"]

[imap]
host = "127.0.0.1"
port = {imap_port}
security = "none"
username = "{USER}"
password_env = "TALLY_IMAP_PASSWORD"
""")
        plan, inbox, out = ROOT / "samples/plan.xlsx", work / "inbox/2022-03", work / "out/2022-03"
        tally(binary, "fetch", "--plan", plan, "--period", "2022-03", "--inbox", inbox,
              "--config", config, "--reply")
        tally(binary, "check", "--plan", plan, "--inbox", inbox, "--period", "2022-03")
        run = tally(binary, "run", "--plan", plan, "--inbox", inbox, "--period", "2022-03",
                    "--out", out, "--config", config)
        mailed = tally(binary, "mail", "--run", out, "--config", config) if run == 0 else 2
        received = sorted((work / "sent").glob("*.json"))
        print(f"\nSMTP 服务器共收到 {len(received)} 封：")
        for f in received:
            m = json.loads(f.read_text())
            print(f"  {', '.join(m['rcpt_tos'])}：{m['subject']}")
        print(f"\n全部文件在 {work}")
        sys.exit(0 if run == 0 and mailed == 0 else 1)
    finally:
        smtp.terminate()
        dovecot.terminate()
        dovecot.wait()


if __name__ == "__main__":
    main()
