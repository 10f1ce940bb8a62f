// Decides once per job how the tests run, without executing the submission: compile errors go to
// stderr (exit 2); otherwise fd 3 gets "program", "function NAME" or "exports".
'use strict';
const fs = require('fs');
const vm = require('vm');
const acorn = require('/usr/share/nodejs/acorn/dist/acorn.js');

const [path, entry] = process.argv.slice(2);
const src = fs.readFileSync(path, 'utf8');
const fail = (msg) => { process.stderr.write(msg + '\n'); process.exit(2); };
try {
  // What node itself does with a CommonJS file: V8 is the judge of syntax.
  vm.compileFunction(src.replace(/^#!.*/, ''), ['exports', 'require', 'module', '__filename', '__dirname'], { filename: 'main.js' });
} catch (e) {
  fail(String(e && e.stack || e).split('\n    at ')[0]);
}

let body = null;
try {
  body = acorn.parse(src, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true, allowReturnOutsideFunction: true }).body;
} catch (e) {
  body = null; // newer syntax than acorn knows: run it as a program
}

const isFunction = (n) => n && (n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression');
const isRequire = (n) => n && n.type === 'CallExpression' && n.callee.type === 'Identifier' && n.callee.name === 'require';
const pure = (n) => {
  if (!n) return true;
  if (isRequire(n)) return true;
  let found = false;
  (function walk(x) {
    if (found || !x || typeof x.type !== 'string') return;
    if (x.type === 'CallExpression' || x.type === 'NewExpression' || x.type === 'AwaitExpression' || x.type === 'TaggedTemplateExpression') { found = true; return; }
    if (isFunction(x) || x.type === 'ClassExpression') return; // bodies do not run at load time
    for (const k of Object.keys(x)) {
      const v = x[k];
      if (Array.isArray(v)) v.forEach(walk); else if (v && typeof v.type === 'string') walk(v);
    }
  })(n);
  return !found;
};
const isExportsTarget = (t) => t.type === 'MemberExpression' && (
  (t.object.type === 'Identifier' && t.object.name === 'module' && !t.computed && t.property.name === 'exports') ||
  (t.object.type === 'Identifier' && t.object.name === 'exports') ||
  (t.object.type === 'MemberExpression' && isExportsTarget(t.object)));

const functions = [];
let exportsAssigned = false;
let definitionsOnly = body !== null;
const declared = new Set();
for (const s of body || []) {
  if (s.type === 'FunctionDeclaration') { functions.push(s.id.name); declared.add(s.id.name); continue; }
  if (s.type === 'ClassDeclaration') { declared.add(s.id.name); continue; }
  if (s.type === 'EmptyStatement') continue;
  if (s.type === 'VariableDeclaration') {
    for (const d of s.declarations) {
      if (d.id.type === 'Identifier') declared.add(d.id.name);
      if (d.id.type === 'Identifier' && isFunction(d.init)) functions.push(d.id.name);
      else if (!pure(d.init)) definitionsOnly = false;
    }
    continue;
  }
  if (s.type === 'ExpressionStatement' && s.directive) continue;
  if (s.type === 'ExpressionStatement' && s.expression.type === 'AssignmentExpression' && isExportsTarget(s.expression.left)) {
    exportsAssigned = true;
    if (!isFunction(s.expression.right) && !pure(s.expression.right)) definitionsOnly = false;
    continue;
  }
  definitionsOnly = false;
}

const report = (text) => fs.writeSync(3, text);
if (entry) {
  if (body !== null && !declared.has(entry)) fail(`entrypoint '${entry}' is not defined at the top level of the program`);
  report('function ' + entry);
} else if (definitionsOnly && exportsAssigned) {
  report('exports');
} else if (definitionsOnly && functions.length === 1) {
  report('function ' + functions[0]);
} else {
  report('program');
}
