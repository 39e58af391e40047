"use strict";
// Loads an esbuild bundle with a V8 code cache. Node 20 compiles the whole
// bundle on every start (a CLI command pays it each time); with the cache
// beside the bundle, V8 skips most of that work. The cache lives next to
// the bundle, so it is exactly as trusted as the bundle; where that folder
// is read-only the bundle simply loads without one. V8 checks that a cache
// belongs to this very source and rejects it otherwise, and a rejected or
// missing cache is rewritten when the process exits.
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const Module = require("node:module");

module.exports = function loadBundle(file) {
  let source;
  try {
    source = fs.readFileSync(file, "utf8");
  } catch (error) {
    if (error.code !== "ENOENT") throw error;
    process.stderr.write(`error: ${file} is missing; build it with \`npm run build\`\n`);
    process.exit(1);
  }
  const cacheFile = `${file}.${process.version}-${process.arch}.cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const options = { filename: file, cachedData };
  if (vm.constants && vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER) {
    options.importModuleDynamically = vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  }
  const script = new vm.Script(Module.wrap(source), options);
  if (cachedData === undefined || script.cachedDataRejected) {
    // At exit the cache also holds every function this command compiled lazily.
    process.once("exit", () => {
      try {
        const temp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(temp, script.createCachedData());
        fs.renameSync(temp, cacheFile);
      } catch {
        // A read-only install: run without a cache.
      }
    });
  }
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  const bundleRequire = (id) => mod.require(id);
  bundleRequire.resolve = (request, opts) => Module._resolveFilename(request, mod, false, opts);
  bundleRequire.cache = Module._cache;
  bundleRequire.main = require.main;
  script.runInThisContext().call(mod.exports, mod.exports, bundleRequire, mod, file, path.dirname(file));
  mod.loaded = true;
  return mod.exports;
};
