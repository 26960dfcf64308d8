# SPDX-License-Identifier: Apache-2.0
# policy eval: OPA's `opa eval --format json` shapes for a result with
# bindings, an undefined query ({}), errors (exit 2, JSON on stdout), data
# from JSON/YAML files and directories, input, print to stderr.
cat >p.rego <<'REGO'
package app

default allow := false

allow if input.user in data.admins

names contains n if {
	some n in data.admins
	print("admin", n)
}
REGO
printf '{"admins": ["alice", "bob"]}\n' >d.json
printf '{"user": "alice"}\n' >in.json
expect_exit 0 tg policy eval -d p.rego -d d.json -i in.json 'data.app.allow'
cat >want <<'JSON'
{
  "result": [
    {
      "expressions": [
        {
          "value": true,
          "text": "data.app.allow",
          "location": {
            "row": 1,
            "col": 1
          }
        }
      ]
    }
  ]
}
JSON
expect_out want
expect_exit 0 tg policy eval -d p.rego -d d.json 'x := data.app.names'
cat >want <<'JSON'
{
  "result": [
    {
      "expressions": [
        {
          "value": true,
          "text": "x := data.app.names",
          "location": {
            "row": 1,
            "col": 1
          }
        }
      ],
      "bindings": {
        "x": [
          "alice",
          "bob"
        ]
      }
    }
  ]
}
JSON
expect_out want
expect_err_match '^admin alice$'
# undefined
expect_exit 0 tg policy eval -d p.rego 'data.app.nope'
expect_out_line '{}'
# a false expression is a value, not undefined (OPA)
expect_exit 0 tg policy eval '1 == 2'
expect_out_match '"value": false'
# data in a directory: a/b/x.yaml is merged at data.a.b
mkdir -p dd/a/b
printf 'k: [1, 2]\n' >dd/a/b/x.yaml
expect_exit 0 tg policy eval -d dd 'data.a.b.k[1] = v'
expect_out_match '"v": 2'
# errors: exit 2, OPA's JSON on stdout
printf 'package x\n\np if {\n\ty > 1\n}\n' >bad.rego
expect_exit 2 tg policy eval -d bad.rego 'data.x.p'
cat >want <<'JSON'
{
  "errors": [
    {
      "code": "rego_unsafe_var_error",
      "message": "var y is unsafe",
      "location": {
        "file": "bad.rego",
        "row": 4,
        "col": 2
      }
    }
  ]
}
JSON
expect_out want
printf 'package x\n\np := 1 / input.z\n' >div.rego
printf '{"z": 0}\n' >z.json
expect_exit 0 tg policy eval -d div.rego -i z.json 'data.x.p'
expect_out_line '{}'
expect_exit 2 tg policy eval --strict-builtin-errors -d div.rego -i z.json 'data.x.p'
expect_out_match '"code": "eval_builtin_error"'
expect_out_match '"message": "div: divide by zero"'
# v0 syntax
printf 'package y\n\np[x] { x := 1 }\n' >v0.rego
expect_exit 0 tg policy eval --v0 -d v0.rego 'data.y.p'
expect_out_match '^ +1$'
# limits
printf 'package l\n\nr := numbers.range(1, 1000)\n\np if {\n\tsome a in r\n\tsome b in r\n\tsome c in r\n\ta + b + c < 0\n}\n' >l.rego
expect_exit 2 tg policy eval --limit-steps 100000 -d l.rego 'data.l.p'
expect_out_match '"code": "eval_cancel_error"'
expect_out_match 'step limit'
expect_exit 2 tg policy eval
expect_err_match 'one QUERY is required'
