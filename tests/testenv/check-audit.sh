#!/usr/bin/env bash
# The read-only proof over a whole test run: every request the CLI's identities made to the shared test bed
# was get/list/watch, no Secret was fetched by name, and every Secret list came back as metadata only.
# Prints the verb counts per user. Usage: check-audit.sh DIR
set -euo pipefail
dir="${1:?usage: check-audit.sh DIR}"
python3 - "$dir/audit.log" <<'PY'
import collections, json, sys
users = {"reader", "limited", "system:serviceaccount:mekhanikube:mekhanikube"}
verbs = collections.Counter()
bad = []
secret_lists = 0
with open(sys.argv[1]) as log:
    for line in log:
        e = json.loads(line)
        user = e.get("user", {}).get("username")
        if user not in users or e.get("stage") != "ResponseComplete":
            continue
        verb = e.get("verb")
        verbs[(user, verb)] += 1
        ref = e.get("objectRef") or {}
        if verb not in ("get", "list", "watch"):
            bad.append(f"{user} {verb} {e.get('requestURI')}")
        # The one subresource read is pods/log (--logs): a get, bounded in lines and bytes, never followed.
        sub = ref.get("subresource")
        if sub:
            uri = e.get("requestURI", "")
            query = uri.partition("?")[2].split("&")
            bounded = any(q.startswith("tailLines=") for q in query) and any(q.startswith("limitBytes=") for q in query)
            if (ref.get("resource"), sub, verb) != ("pods", "log", "get") or not bounded or "follow=true" in query:
                bad.append(f"{user} read a subresource other than a bounded pods/log get: {verb} {uri}")
            else:
                verbs[(user, "get pods/log")] += 1
        if ref.get("resource") == "secrets":
            if verb != "list":
                bad.append(f"{user} fetched a Secret: {verb} {e.get('requestURI')}")
            elif (e.get("responseStatus") or {}).get("code", 200) == 200:
                secret_lists += 1
                kind = (e.get("responseObject") or {}).get("kind")
                if kind != "PartialObjectMetadataList":
                    bad.append(f"{user} got Secret values back ({kind}): {e.get('requestURI')}")
for (user, verb), n in sorted(verbs.items()):
    print(f"audit: {user:48} {verb:6} {n}")
print(f"audit: {secret_lists} Secret list(s), all answered as PartialObjectMetadataList" if not bad else "")
if not verbs:
    bad.append("the audit log recorded nothing for the CLI's users")
if bad:
    print("audit: READ-ONLY PROOF FAILED:", *bad, sep="\n  ", file=sys.stderr)
    sys.exit(1)
PY
