// Preloaded by bench-cli.mjs (node --require): writes this process's peak RSS
// in KiB to $CVB_BENCH_RSS_OUT when it exits.
"use strict";
const fs = require("node:fs");
process.on("exit", () => {
  if (process.env.CVB_BENCH_RSS_OUT) fs.writeFileSync(process.env.CVB_BENCH_RSS_OUT, String(process.resourceUsage().maxRSS));
});
