// Function detection, loaded only for a job's first test: ["exports"] when the code only defines
// things and assigns module.exports, ["function", NAME] when it only defines things and exactly one
// top-level function, ["program"] otherwise.
'use strict';
const acorn = require('./acorn.js');

const isFunction = (n) => n && (n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression');
const isRequire = (n) => n && n.type === 'CallExpression' && n.callee.type === 'Identifier' && n.callee.name === 'require';

// True when evaluating the expression calls nothing (function bodies do not run at load time).
function pure(n) {
  if (!n || isRequire(n)) return true;
  let found = false;
  (function walk(x) {
    if (found || !x || typeof x.type !== 'string') return;
    if (['CallExpression', 'NewExpression', 'AwaitExpression', 'TaggedTemplateExpression', 'YieldExpression'].includes(x.type)) {
      found = true;
      return;
    }
    if (isFunction(x) || x.type === 'ClassExpression') return;
    for (const k of Object.keys(x)) {
      const v = x[k];
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v.type === 'string') walk(v);
    }
  })(n);
  return !found;
}

const isExports = (t) => t.type === 'MemberExpression' && t.object.type === 'Identifier' && (
  (t.object.name === 'module' && !t.computed && t.property.name === 'exports') || t.object.name === 'exports')
  || (t.type === 'MemberExpression' && t.object.type === 'MemberExpression' && isExports(t.object));

module.exports = function classify(source) {
  let body;
  try {
    body = acorn.parse(source, { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true }).body;
  } catch (e) {
    return ['program']; // newer syntax than acorn knows, which V8 accepted: run it as written
  }
  const functions = [];
  let exportsAssigned = false;
  for (const s of body) {
    if (s.type === 'FunctionDeclaration') functions.push(s.id.name);
    else if (s.type === 'ClassDeclaration' || s.type === 'EmptyStatement') continue;
    else if (s.type === 'ExpressionStatement' && s.directive) continue;
    else if (s.type === 'VariableDeclaration') {
      for (const d of s.declarations) {
        if (d.id.type === 'Identifier' && isFunction(d.init)) functions.push(d.id.name);
        else if (!pure(d.init)) return ['program'];
      }
    } else if (s.type === 'ExpressionStatement' && s.expression.type === 'AssignmentExpression' && isExports(s.expression.left)) {
      if (!isFunction(s.expression.right) && !pure(s.expression.right)) return ['program'];
      exportsAssigned = true;
    } else {
      return ['program'];
    }
  }
  if (exportsAssigned) return ['exports'];
  return functions.length === 1 ? ['function', functions[0]] : ['program'];
};
