// SPDX-License-Identifier: Apache-2.0
// validate.mjs - independent checks for tests/data/cli/deploy:
//   node validate.mjs k8s FILE...     every YAML document of each FILE
//     against the Kubernetes OpenAPI schemas (kubernetes-models: types,
//     required members, enums, formats such as caBundle's base64);
//     prints "ok KIND NAMESPACE/NAME" per document
//   node validate.mjs workflow FILE   a GitHub Actions workflow against
//     the workflow schema (@action-validator/core)
//   node validate.mjs json FILE       the YAML documents of FILE as one
//     JSON array (for the shell cases to read with python)
// Exits 1 with the reasons when something does not validate.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseAllDocuments } from "yaml";

const [mode, ...files] = process.argv.slice(2);
let bad = 0;
const fail = (msg) => {
  console.error(msg);
  bad++;
};

if (mode === "k8s") {
  for (const file of files) {
    const docs = parseAllDocuments(readFileSync(file, "utf8"), { uniqueKeys: true });
    for (const doc of docs) {
      if (doc.errors.length) {
        fail(`${file}: YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
        continue;
      }
      const obj = doc.toJS();
      if (obj === null) continue;
      const { apiVersion, kind } = obj;
      if (typeof apiVersion !== "string" || typeof kind !== "string") {
        fail(`${file}: a document without apiVersion and kind`);
        continue;
      }
      let Model;
      try {
        Model = (await import(`kubernetes-models/${apiVersion}/${kind}`))[kind];
      } catch (e) {
        fail(`${file}: no schema for ${apiVersion} ${kind}`);
        continue;
      }
      const where = `${kind} ${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? "?"}`;
      try {
        new Model(obj).validate();
        console.log(`ok ${where}`);
      } catch (e) {
        fail(`${file}: ${where}: ${e.message}`);
      }
    }
  }
} else if (mode === "workflow") {
  const require = createRequire(import.meta.url);
  const { validateWorkflow } = require("@action-validator/core");
  for (const file of files) {
    const st = validateWorkflow(readFileSync(file, "utf8"));
    for (const e of st.errors) fail(`${file}: ${e.title}${e.path ? " at " + e.path : ""}: ${e.detail ?? ""}`);
    if (!st.errors.length) console.log(`ok workflow ${file}`);
  }
} else if (mode === "json") {
  const out = [];
  for (const file of files)
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"), { uniqueKeys: true })) {
      if (doc.errors.length) fail(`${file}: YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      else out.push(doc.toJS());
    }
  console.log(JSON.stringify(out));
} else {
  fail("usage: node validate.mjs k8s|workflow|json FILE...");
}
process.exit(bad ? 1 : 0);
