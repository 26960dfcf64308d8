# SPDX-License-Identifier: Apache-2.0
# run-workflow.py - runs the `run:` steps of one job of a GitHub Actions
# workflow as the runner would (not a case): bash -eo pipefail in the
# workspace, the workflow's, job's and step's env over this process's
# environment, then OVERRIDES (NAME=VALUE arguments); GITHUB_PATH and
# GITHUB_ENV files honoured between steps. `uses:` steps are skipped, and so
# is the one step whose id is SKIP_ID (it must exist). Stops at the first
# failing step, printing "step failed: NAME" and exiting 1.
#   run-workflow.py WORKFLOW.json JOB WORKSPACE SKIP_ID [NAME=VALUE]...
import json, os, subprocess, sys, tempfile

wf = json.load(open(sys.argv[1]))[0]
job = wf["jobs"][sys.argv[2]]
ws, skip = sys.argv[3], sys.argv[4]
over = dict(a.split("=", 1) for a in sys.argv[5:])
tmp = tempfile.mkdtemp(prefix="runner-temp.")
gpath, genv = os.path.join(tmp, "github_path"), os.path.join(tmp, "github_env")
open(gpath, "w").close()
open(genv, "w").close()
skipped = [s for s in job["steps"] if s.get("id") == skip]
assert len(skipped) == 1 and "run" in skipped[0], "want one run step with id " + skip
for st in job["steps"]:
    name = st.get("name") or st.get("uses") or st["run"].splitlines()[0]
    if "uses" in st or st.get("id") == skip:
        print("skipped: " + name, flush=True)
        continue
    assert set(st) <= {"name", "id", "run", "env"}, "unsupported keys in step %s: %s" % (name, set(st))
    env = dict(os.environ)
    for layer in (wf.get("env", {}), job.get("env", {}), st.get("env", {})):
        env.update({k: str(v) for k, v in layer.items()})
    env.update(over)
    env.update({"GITHUB_WORKSPACE": ws, "RUNNER_TEMP": tmp, "GITHUB_PATH": gpath,
                "GITHUB_ENV": genv, "CI": "true", "GITHUB_ACTIONS": "true"})
    extra = [l for l in open(gpath).read().splitlines() if l]
    env["PATH"] = os.pathsep.join(extra[::-1] + [env["PATH"]])
    for line in open(genv).read().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            env[k] = v
    script = os.path.join(tmp, "step.sh")
    open(script, "w").write(st["run"])
    print("run: " + name, flush=True)
    r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script], cwd=ws, env=env)
    if r.returncode != 0:
        print("step failed: %s (exit %d)" % (name, r.returncode), flush=True)
        sys.exit(1)
print("job succeeded", flush=True)
