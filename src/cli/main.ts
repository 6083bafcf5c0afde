#!/usr/bin/env node
import { processIO } from './io.js';
import { run } from './run.js';

// The one place that exits the process.
const code = await run(process.argv.slice(2), processIO());
process.exitCode = code;
