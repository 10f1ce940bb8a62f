// Function tests: loads /work/main.js as CommonJS, calls one function with the test's input parsed as
// JSON (an array is the argument list, another value one argument, non-JSON text one string) and
// prints the result: plain for numbers and strings, compact JSON for everything else.
'use strict';
const fs = require('fs');
const vm = require('vm');
const Module = require('module');

const [path, name] = process.argv.slice(2);
const text = fs.readFileSync(0, 'utf8');
let args;
try {
  const value = JSON.parse(text);
  args = Array.isArray(value) ? value : [value];
} catch (e) {
  args = [text.endsWith('\n') ? text.slice(0, -1) : text];
}

const src = fs.readFileSync(path, 'utf8').replace(/^#!.*/, '');
const mod = new Module(path, null);
mod.filename = path;
mod.paths = Module._nodeModulePaths('/work');
const tail = name === 'exports' ? '' : `\n;module.exports = { __entry: ${name} };`;
const load = vm.compileFunction(src + tail, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: path });
load.call(mod.exports, mod.exports, (id) => mod.require(id), mod, path, '/work');

let fn = name === 'exports' ? mod.exports : mod.exports.__entry;
if (typeof fn !== 'function' && fn && typeof fn === 'object') {
  const fns = Object.values(fn).filter((v) => typeof v === 'function');
  fn = fns.length === 1 ? fns[0] : undefined;
}
if (typeof fn !== 'function') throw new TypeError(`${name === 'exports' ? 'module.exports' : name} is not a function`);

const print = (r) => {
  let out;
  if (typeof r === 'string') out = r;
  else if (typeof r === 'number' || typeof r === 'bigint') out = String(r);
  else if (r === undefined) out = 'null';
  else out = JSON.stringify(r, (k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Set ? [...v] : v instanceof Map ? Object.fromEntries(v) : v));
  process.stdout.write(out + '\n');
};
Promise.resolve(fn(...args)).then(print, (e) => { console.error(e); process.exitCode = 1; });
