#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# gen_canon.py - regenerates tests/data/json/canon/<name>.json and
# <name>.canon. Expected outputs come from Node.js (an independent RFC 8785
# implementation: JSON.parse + keys sorted by UTF-16 code units +
# JSON.stringify); for the RFC 8785 examples the script also checks that
# Node agrees with the text of the RFC and stops if it does not.
import struct, json, subprocess, math
import os
D = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'canon') + os.sep
def node_jcs(text):
    js = r'''
const fs=require('fs'); const t=fs.readFileSync(0,'utf8');
function jcs(v){ if(Array.isArray(v)) return '['+v.map(jcs).join(',')+']';
 if(v!==null && typeof v==='object') return '{'+Object.keys(v).sort().map(k=>JSON.stringify(k)+':'+jcs(v[k])).join(',')+'}';
 return JSON.stringify(v); }
process.stdout.write(jcs(JSON.parse(t)));'''
    return subprocess.run(['node','-e',js],input=text.encode(),capture_output=True,check=True).stdout.decode()
def write(name, inp, expect_rfc=None):
    out = node_jcs(inp)
    if expect_rfc is not None and out != expect_rfc:
        raise SystemExit('node disagrees with RFC for %s:\n%s\n%s' % (name, out, expect_rfc))
    open(D+name+'.json','w',encoding='utf-8').write(inp)
    open(D+name+'.canon','w',encoding='utf-8').write(out)
    print(name, out[:200])

# RFC 8785 3.2.2 (input exactly as in the RFC)
inp = '''{
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\"\\/",
  "literals": [null, true, false]
}
'''
rfc = '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
write('rfc8785_3_2_2_primitives', inp, rfc)

# RFC 8785 3.2.3 sorting example
inp = '''{
  "\\u20ac": "Euro Sign",
  "\\r": "Carriage Return",
  "\\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\\ud83d\\ude00": "Emoji: Grinning Face",
  "\\u0080": "Control",
  "\\u00f6": "Latin Small Letter O With Diaeresis"
}
'''
rfc = ('{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",'
       '"\u20ac":"Euro Sign","\U0001F600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}')
write('rfc8785_3_2_3_sorting', inp, rfc)

# RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript form
B = [('0000000000000000','0'),('8000000000000000','0'),('0000000000000001','5e-324'),
('8000000000000001','-5e-324'),('7fefffffffffffff','1.7976931348623157e+308'),
('ffefffffffffffff','-1.7976931348623157e+308'),('4340000000000000','9007199254740992'),
('c340000000000000','-9007199254740992'),('4430000000000000','295147905179352830000'),
('44b52d02c7e14af5','9.999999999999997e+22'),('44b52d02c7e14af6','1e+23'),
('44b52d02c7e14af7','1.0000000000000001e+23'),('444b1ae4d6e2ef4e','999999999999999700000'),
('444b1ae4d6e2ef4f','999999999999999900000'),('444b1ae4d6e2ef50','1e+21'),
('3eb0c6f7a0b5ed8c','9.999999999999997e-7'),('3eb0c6f7a0b5ed8d','0.000001'),
('41b3de4355555553','333333333.3333332'),('41b3de4355555554','333333333.33333325'),
('41b3de4355555555','333333333.3333333'),('41b3de4355555556','333333333.3333334'),
('41b3de4355555557','333333333.33333343'),('becbf647612f3696','-0.0000033333333333333333'),
('43143ff3c1cb0959','1424953923781206.2')]
lits=[]; exp=[]
for h,es in B:
    x = struct.unpack('>d', bytes.fromhex(h))[0]
    lit = '%.17e' % x   # 18 significant digits: never the shortest form, so the double path is used
    assert float(lit) == x
    lits.append(lit); exp.append(es)
inp = '[\n' + ',\n'.join(lits) + '\n]\n'
write('rfc8785_appendix_b_numbers', inp, '[' + ','.join(exp) + ']')

# The same numbers written in their shortest form already (fast path must agree)
inp = '[' + ', '.join(exp) + ']\n'
write('rfc8785_appendix_b_shortest_input', inp, '[' + ','.join(exp) + ']')

# powers of two whose shortest form a naive "%.{p}e until it round-trips" loop misses
pw=[]
for e in range(-1074, 1024):
    x = math.ldexp(1.0, e)
    def naive(x):
        for p in range(1,18):
            s='%.*e'%(p-1,x)
            if float(s)==x: return s
    nd = naive(x).split('e')[0].replace('.','').rstrip('0')
    rd = repr(x).split('e')[0].replace('.','').lstrip('0').rstrip('0')
    if len(nd) != len(rd): pw.append('%.17e' % x)
inp = '[\n' + ',\n'.join(pw) + '\n]\n'
write('numbers_pow2_shortest', inp)

# more ECMAScript Number::toString cases (ECMA-262 7.1.12.1 branches)
nums = ['0', '-0', '-0.0', '0e10', '0.0e-10', '1', '-1', '1.0', '1.50', '100', '1e0', '1E+2', '10e-1',
 '1e20', '1e21', '123456789012345678901', '1e-6', '1e-7', '0.000001', '0.0000001', '1.5e-7',
 '123e-20', '0.1', '0.2', '0.30000000000000004', '9007199254740993', '9007199254740991',
 '123456789012345678901234567890', '5e-324', '2.4703282292062328e-324', '4.9406564584124654e-324',
 '1e-400', '-1e-400', '2.2250738585072014e-308', '2.2250738585072011e-308', '1.7976931348623157e308',
 '1e308', '18446744073709551616', '-9223372036854775808', '4.35', '0.1e1', '12345678901234567',
 '1234567890123456.7', '99999999999999999999', '999999999999999999999', '1e-5', '0.00001234',
 '3.14159265358979323846264338327950288', '1e23', '8.41e21', '5e-7', '7e-7', '1.7e-7']
inp = '[' + ', '.join(nums) + ']\n'
write('numbers_ecmascript', inp)

# string escapes: every control character, the escapes JSON allows, DEL, non-ASCII kept as UTF-8
chars = ''.join('\\u%04x' % c for c in range(0x20)) + '\\u007f\\/\\"\\\\ \\u00e9\\u2028\\u2029\\ufeff\\uffff\\ud834\\udd1e'
inp = '{"controls": "%s", "raw": "é€😀\\t", "empty": ""}\n' % chars
write('strings_escapes', inp)

# keys whose UTF-16 order differs from their UTF-8 (code point) order
inp = '{"\\uffff": 1, "\\ud83d\\ude00": 2, "\\ue000": 3, "\\ud800\\udc00": 4, "\\uff61": 5, "z": 6, "\\u00ff": 7, "\\ud7ff": 8, "\\udbff\\udfff": 9}\n'
write('keys_utf16_order', inp)

# nesting, empty containers, whitespace of every kind, key order at every level
inp = ' \t\r\n{ "b" : [ {}, [], {"z":[null,{"y":false,"x":true}], "a":"" } , [[[[]]]] ],\r\n\t"a":{"c":{"b":{"a":0.50}}}, "" : -0 }\t\n'
write('nested', inp)

# random doubles (all exponents) written with 17 digits, and short decimals
import random
random.seed(8785)
vals=[]
while len(vals) < 2000:
    x = struct.unpack('<d', struct.pack('<Q', random.getrandbits(64)))[0]
    if math.isfinite(x): vals.append('%.16e' % x)
for i in range(1000):
    d = random.randint(1, 10**random.randint(1, 15))
    e = random.randint(-300, 280)
    vals.append(('-' if random.random() < 0.3 else '') + '%de%d' % (d, e))
for i in range(500):
    vals.append('%d.%0*d' % (random.randint(0, 10**6), random.randint(1,9), random.randint(0, 10**9) % 10**9 % (10**random.randint(1,9))))
inp = '[\n' + ',\n'.join(vals) + '\n]\n'
write('numbers_random', inp)
