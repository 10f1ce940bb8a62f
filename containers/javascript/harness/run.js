// Runs /work/main.js for one test. MODE is "program", "function NAME", "exports", or, for a job's
// first test, "detect" / "detect NAME": then the code is checked and classified first and the
// verdict written to fd 3 ("CE", "program", "function NAME" or "exports"), which is closed before
// any submitted code runs. Function tests: the input is parsed as JSON (an array is the argument
// list, another value one argument, non-JSON text one string) and the result printed: plain for
// numbers and strings, compact JSON otherwise. MODE "syntax" only checks the code and reports "CE"
// or "program" (a checker program's compile step); MODE "checker" runs it as a program whose uncaught
// error exits 3, not 1, which a checker's exit 1 would mean (a wrong answer). Arguments after MODE
// are the program's own.
'use strict';
// stdout and stderr block when the pipe is full, as a C program's do: Node would otherwise queue a
// flood in its own memory (MLE) while its event loop never runs to drain it, instead of reaching OLE.
for (const stream of [process.stdout, process.stderr]) {
  if (stream._handle && typeof stream._handle.setBlocking === 'function') stream._handle.setBlocking(true);
}
const fs = require('fs');
const vm = require('vm');
const Module = require('module');

const file = process.argv[2];
let mode = process.argv[3].split(' ');
process.argv.splice(1, 3, file); // node FILE ARGS..., as `node main.js ARGS...` has it
const PARAMS = ['exports', 'require', 'module', '__filename', '__dirname'];
const source = fs.readFileSync(file, 'utf8').replace(/^#!.*/, '');

if (mode[0] === 'detect' || mode[0] === 'syntax') {
  try {
    vm.compileFunction(source, PARAMS, { filename: file }); // what node itself does with the file
  } catch (e) {
    process.stderr.write(String((e && e.stack) || e).split('\n    at ')[0] + '\n');
    fs.writeSync(3, 'CE');
    process.exit(1);
  }
  if (mode[0] === 'syntax') {
    fs.writeSync(3, 'program');
    process.exit(0);
  }
  // Without a function or an export it is a program; the parser is loaded only when it could be more.
  const couldDefine = /function|=>|exports/.test(source);
  mode = mode[1] ? ['function', mode[1]] : couldDefine ? require('./classify.js')(source) : ['program'];
  fs.writeSync(3, mode.join(' '));
  fs.closeSync(3);
}

if (mode[0] === 'checker') {
  const crash = (e) => {
    process.stderr.write(String((e && e.stack) || e) + '\n');
    process.exit(3);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  mode = ['program'];
}
if (mode[0] === 'program') {
  Module._load(file, null, true); // as `node file` does: the main module
} else {
  const text = fs.readFileSync(0, 'utf8');
  let args;
  try {
    const value = JSON.parse(text);
    args = Array.isArray(value) ? value : [value];
  } catch (e) {
    args = [text.endsWith('\n') ? text.slice(0, -1) : text];
  }
  const mod = new Module(file, null);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths('/work');
  const tail = mode[0] === 'exports' ? '' : `\n;module.exports = { entry: typeof ${mode[1]} === 'undefined' ? undefined : ${mode[1]} };`;
  vm.compileFunction(source + tail, PARAMS, { filename: file })
    .call(mod.exports, mod.exports, (id) => mod.require(id), mod, file, '/work');
  let fn = mode[0] === 'exports' ? mod.exports : mod.exports.entry;
  if (mode[0] === 'exports' && fn && typeof fn === 'object') {
    const fns = Object.values(fn).filter((v) => typeof v === 'function');
    fn = fns.length === 1 ? fns[0] : undefined;
  }
  if (typeof fn !== 'function') {
    process.stderr.write(mode[0] === 'exports' ? 'module.exports is not a function (nor an object with exactly one function)\n'
      : `entrypoint '${mode[1]}' is not a function defined at the top level of the program\n`);
    process.exit(1);
  }
  const print = (r) => {
    let out;
    if (typeof r === 'string') out = r;
    else if (typeof r === 'number' || typeof r === 'bigint') out = String(r);
    else if (r === undefined) out = 'null';
    else out = JSON.stringify(r, (k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Set ? [...v] : v instanceof Map ? Object.fromEntries(v) : v));
    process.stdout.write(out + '\n');
  };
  Promise.resolve(fn(...args)).then(print, (e) => { console.error(e); process.exitCode = 1; });
}
