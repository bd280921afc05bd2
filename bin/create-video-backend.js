#!/usr/bin/env node
// Tiny shim: check the Node version before loading anything else.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 12)) {
  console.error(`create-video-backend needs Node.js 20.12 or newer; this is ${process.versions.node}.`);
  process.exit(1);
}
await import("../dist/cli.js");
