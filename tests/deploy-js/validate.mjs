// SPDX-License-Identifier: Apache-2.0
// validate.mjs - independent checks for tests/data/cli/deploy:
//   node validate.mjs k8s FILE...     every YAML document of each FILE
//     against the Kubernetes OpenAPI schemas (kubernetes-models: types,
//     required members, enums, formats such as caBundle's base64), and
//     no unknown field anywhere (the attribute maps of @kubernetes/client-node's
//     models, generated from the OpenAPI spec: kubectl --validate=strict);
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

// The fields of obj not in the client-node model typeName, recursively
// (arrays, string-keyed maps, nested models); primitive and free-form types
// end the walk. Returns the paths of unknown fields.
const models = new URL("./node_modules/@kubernetes/client-node/dist/gen/models/", import.meta.url);
async function unknownFields(obj, typeName, path) {
  const out = [];
  if (obj === null || obj === undefined) return out;
  let m = /^Array<(.*)>$/.exec(typeName);
  if (m) {
    if (Array.isArray(obj)) for (const [i, v] of obj.entries()) out.push(...(await unknownFields(v, m[1], `${path}[${i}]`)));
    return out;
  }
  m = /^\{ \[key: string\]: (.*); \}$/.exec(typeName);
  if (m) {
    for (const [k, v] of Object.entries(obj)) out.push(...(await unknownFields(v, m[1], `${path}.${k}`)));
    return out;
  }
  if (!/^[A-Z]\w+$/.test(typeName) || typeof obj !== "object" || Array.isArray(obj)) return out;
  let cls;
  try {
    cls = (await import(new URL(`${typeName}.js`, models)))[typeName];
  } catch {
    return out; // no model: a free-form type (IntOrString, Quantity, ...)
  }
  const attrs = new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(obj)) {
    if (!attrs.has(k)) out.push(`${path}.${k}`);
    else out.push(...(await unknownFields(v, attrs.get(k), `${path}.${k}`)));
  }
  return out;
}
// apps/v1 Deployment -> V1Deployment; admissionregistration.k8s.io/v1 -> V1...
const modelName = (apiVersion, kind) => {
  const v = apiVersion.split("/").pop();
  return v.charAt(0).toUpperCase() + v.slice(1) + kind;
};
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
      } catch (e) {
        fail(`${file}: ${where}: ${e.message}`);
        continue;
      }
      const name = modelName(apiVersion, kind);
      try {
        await import(new URL(`${name}.js`, models));
      } catch {
        fail(`${file}: ${where}: no strict field model ${name}`);
        continue;
      }
      const unknown = await unknownFields(obj, name, "");
      if (unknown.length) fail(`${file}: ${where}: unknown fields ${unknown.join(", ")}`);
      else console.log(`ok ${where}`);
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
