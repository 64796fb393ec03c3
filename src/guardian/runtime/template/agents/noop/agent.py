"""The noop agent: one proposal, one approval, one (empty) execution, one receipt."""

import os
import sys

from guardian.client import GuardianClient

with GuardianClient(os.environ["GUARDIAN_URL"], os.environ["GUARDIAN_TOKEN"]) as client:
    post = {"title": "Hello from noop"}
    record = client.decide("publish_post", "blog", post)
    if record["decision"] == "ASK":
        print(f"waiting for a human to approve proposal {record['proposal_id']}", flush=True)
        proposal = client.wait_for_approval(
            record["proposal_id"], timeout=float(os.environ.get("NOOP_WAIT", "300"))
        )
        if proposal["status"] != "approved":
            print(f"proposal {proposal['status']}: nothing to do", flush=True)
            sys.exit(3)
        record = client.decide("publish_post", "blog", post)
    if record["decision"] != "ALLOW":
        print(f"{record['decision']}: {[r['code'] for r in record['reasons']]}", flush=True)
        sys.exit(3)
    client.record_receipt(record["decision_id"], "success", output="noop: nothing published")
    print(f"done: decision {record['decision_id']} executed and receipted", flush=True)
