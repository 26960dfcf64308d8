#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# gen_k8s.py OUT [MB] - writes a deterministic Kubernetes inventory of about
# MB megabytes (default 90) for bench/rego.sh: {"k8s": {"pods": [...],
# "deployments": [...]}} shaped like `kubectl get -o json` items (one line,
# as json.dump writes it). Many objects with the same keys, short strings
# (names, labels, images, quantities), small integers, timestamps, UIDs and
# nested arrays (containers, ports, env, volumes, conditions).
import json
import random
import sys

TEAMS = ["payments", "search", "checkout", "identity", "ledger", "catalog", "ml", "infra",
         "web", "mobile-api", "billing", "notify"]
IMAGES = ["nginx", "envoyproxy/envoy", "redis", "postgres", "busybox", "python", "node",
          "golang", "prom/node-exporter", "grafana/grafana", "fluent/fluent-bit"]
REGISTRIES = ["registry.example.com", "ghcr.io/acme", "docker.io/library", "quay.io/acme"]
CPU = ["50m", "100m", "250m", "500m", "1", "2"]
MEM = ["64Mi", "128Mi", "256Mi", "512Mi", "1Gi", "2Gi"]
NODES = ["ip-10-0-%d-%d.ec2.internal" % (a, b) for a in range(4) for b in range(1, 60)]


def uid(r):
    h = "%032x" % r.getrandbits(128)
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def stamp(r):
    return "2026-%02d-%02dT%02d:%02d:%02dZ" % (r.randint(1, 11), r.randint(1, 28), r.randint(0, 23),
                                                r.randint(0, 59), r.randint(0, 59))


def container(r, app, i):
    img = r.choice(IMAGES)
    port = r.choice([80, 443, 8080, 8443, 9090, 5432, 6379])
    c = {
        "name": app if i == 0 else "sidecar-%d" % i,
        "image": "%s/%s:%d.%d.%d" % (r.choice(REGISTRIES), img, r.randint(1, 3), r.randint(0, 30),
                                     r.randint(0, 9)),
        "imagePullPolicy": r.choice(["IfNotPresent", "Always"]),
        "ports": [{"containerPort": port, "name": "http" if port < 9000 else "metrics",
                   "protocol": "TCP"}],
        "env": [{"name": "APP_ENV", "value": r.choice(["prod", "staging"])},
                {"name": "LOG_LEVEL", "value": r.choice(["info", "debug", "warn"])},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                 "fieldPath": "metadata.name"}}}],
        "resources": {"limits": {"cpu": r.choice(CPU), "memory": r.choice(MEM)},
                      "requests": {"cpu": r.choice(CPU[:4]), "memory": r.choice(MEM[:4])}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": r.random() < 0.7,
                            "runAsNonRoot": True, "runAsUser": r.choice([1000, 65532, 10001]),
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                          "name": "kube-api-access-%05d" % r.randint(0, 99999), "readOnly": True}],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if r.random() < 0.5:
        c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": port, "scheme": "HTTP"},
                              "initialDelaySeconds": r.choice([5, 10, 30]), "periodSeconds": 10,
                              "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3}
    return c


def pod(r, n):
    team = r.choice(TEAMS)
    app = "%s-%s" % (team, r.choice(["api", "worker", "web", "cron", "db"]))
    rs = "%s-%08x" % (app, r.getrandbits(32))
    name = "%s-%05x" % (rs, r.getrandbits(20))
    ns = team if r.random() < 0.8 else "default"
    conts = [container(r, app, i) for i in range(r.choice([1, 1, 1, 2, 3]))]
    started = stamp(r)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name, "namespace": ns, "uid": uid(r), "resourceVersion": str(r.randint(10 ** 6, 10 ** 8)),
            "creationTimestamp": started,
            "generateName": rs + "-",
            "labels": {"app": app, "team": team, "pod-template-hash": rs[-8:],
                       "app.kubernetes.io/managed-by": "helm"},
            "annotations": {"prometheus.io/scrape": r.choice(["true", "false"]), "prometheus.io/port": "9090"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": uid(r),
                                 "controller": True, "blockOwnerDeletion": True}],
        },
        "spec": {
            "containers": conts,
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True,
            "nodeName": r.choice(NODES),
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {"fsGroup": 2000, "seccompProfile": {"type": "RuntimeDefault"}},
            "serviceAccountName": app,
            "terminationGracePeriodSeconds": 30,
            "tolerations": [{"effect": "NoExecute", "key": "node.kubernetes.io/not-ready",
                             "operator": "Exists", "tolerationSeconds": 300},
                            {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable",
                             "operator": "Exists", "tolerationSeconds": 300}],
            "volumes": [{"name": "kube-api-access-%05d" % r.randint(0, 99999),
                         "projected": {"defaultMode": 420, "sources": [
                             {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                             {"configMap": {"name": "kube-root-ca.crt",
                                            "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}],
        },
        "status": {
            "phase": r.choice(["Running"] * 8 + ["Pending", "Succeeded"]),
            "hostIP": "10.0.%d.%d" % (r.randint(0, 3), r.randint(1, 254)),
            "podIP": "10.%d.%d.%d" % (r.randint(100, 120), r.randint(0, 255), r.randint(1, 254)),
            "qosClass": r.choice(["Burstable", "Guaranteed", "BestEffort"]),
            "startTime": started,
            "conditions": [{"type": t, "status": "True", "lastProbeTime": None,
                            "lastTransitionTime": started}
                           for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
            "containerStatuses": [{"name": c["name"], "image": c["image"],
                                   "imageID": "%s@sha256:%064x" % (c["image"].split(":")[0], r.getrandbits(256)),
                                   "containerID": "containerd://%064x" % r.getrandbits(256),
                                   "ready": True, "started": True, "restartCount": r.choice([0] * 6 + [1, 2, 5]),
                                   "state": {"running": {"startedAt": started}}} for c in conts],
        },
    }


def main():
    out = sys.argv[1]
    mb = float(sys.argv[2]) if len(sys.argv) > 2 else 90.0
    r = random.Random(7)
    pods = []
    size = 0
    while size < mb * 1e6:
        p = pod(r, len(pods))
        size += len(json.dumps(p)) + 2
        pods.append(p)
    deps = [{"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": "%s-%s" % (t, k), "namespace": t},
             "spec": {"replicas": r.randint(1, 12)}} for t in TEAMS for k in ("api", "worker", "web", "cron", "db")]
    with open(out, "w") as f:
        json.dump({"k8s": {"pods": pods, "deployments": deps}}, f)


main()
