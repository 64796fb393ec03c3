"""An example agent using GuardianClient: every tool call is decided by the server first."""

import os
import sys
from pathlib import Path

from guardian.client import GuardianClient

task = os.environ.get("GUARDIAN_TASK") or "hello"
path = f"tasks/{task}.md"
with GuardianClient(os.environ["GUARDIAN_URL"], os.environ["GUARDIAN_TOKEN"]) as client:
    record = client.decide("read_file", path, {"path": path})
    if record["decision"] != "ALLOW":
        sys.exit(f"read_file {path}: {record['decision']}")
    text = (Path("../..") / path).read_text(encoding="utf-8")
    client.record_receipt(record["decision_id"], "success", output=text)
    mail = {"to": "team@example.com", "subject": f"Summary of {task}", "body": text[:500]}
    record = client.decide(
        "send_email", mail["to"], mail, metadata={"cost": {"tokens": len(text.split())}}
    )
    print(f"send_email: {record['decision']}", flush=True)
    if record["decision"] == "ALLOW":
        client.record_receipt(record["decision_id"], "success", output="queued")
