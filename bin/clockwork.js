#!/usr/bin/env node
"use strict";
// The CLI and the agent are one esbuild bundle; `npm run build` writes it.
require("./load-bundle.js")(require("node:path").join(__dirname, "..", "dist", "clockwork.js"));
