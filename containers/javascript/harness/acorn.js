// Debian's acorn, compiled through a V8 code cache made when the image was built (see ../customize):
// about 10 ms less on a job's first test than a plain require. Without a usable cache it still works.
'use strict';
const fs = require('fs');
const vm = require('vm');

const SOURCE = '/usr/share/nodejs/acorn/dist/acorn.js';
const CACHE = '/opt/runner/acorn.cache';

function compile(cachedData) {
  const wrapped = '(function (exports, module, require) {' + fs.readFileSync(SOURCE, 'utf8') + '\n})';
  return new vm.Script(wrapped, { filename: SOURCE, cachedData });
}

function load(script) {
  const m = { exports: {} };
  script.runInThisContext()(m.exports, m, require);
  return m.exports;
}

let cached;
try {
  cached = fs.readFileSync(CACHE);
} catch (e) {
  cached = undefined;
}
module.exports = load(compile(cached));

/** Writes the cache, after a parse that compiles what classification uses. */
module.exports.writeCache = (sample) => {
  const script = compile(undefined);
  load(script).parse(sample, { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true });
  fs.writeFileSync(CACHE, script.createCachedData());
};
