#!/usr/bin/env node
// The published command runs the compiled CLI; `npm install` builds it (the prepare script).
import('../dist/interfaces/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
