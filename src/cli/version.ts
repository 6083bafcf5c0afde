import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../policies/paths.js';

const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };

/** The tool's name and version, as reports record them. */
export const toolInfo = { name: 'parapet', version: pkg.version };
