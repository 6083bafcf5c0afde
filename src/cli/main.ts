#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { processIO } from './io.js';
import { run } from './run.js';

const argv = process.argv.slice(2);
// A run holds its findings (and, for policies that read the whole run, its resources) to the end,
// and V8 lets a heap grow to four times what its last full collection kept before the next one:
// gigabytes at a million findings. Runs grow it by half instead, for a few more collections. The
// webhook keeps V8's pacing: its heap is capped by its deployment and its latency matters more.
if (argv.find((arg) => !arg.startsWith('-')) !== 'serve') setFlagsFromString('--heap-growing-percent=50');

// The one place that exits the process.
const code = await run(argv, processIO());
process.exitCode = code;
