import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { builtinPolicyDir } from './paths.js';
import { policySchema } from './schema.js';
import { configSchema } from '../config/schema.js';

/** The shipped JSON Schema files, generated from their TypeScript sources (`npm run schemas`). */
export const generatedSchemas: Array<{ file: string; schema: unknown }> = [
  { file: path.join(builtinPolicyDir, 'policy.schema.json'), schema: policySchema },
  { file: path.join(builtinPolicyDir, 'config.schema.json'), schema: configSchema },
];

export function schemaText(schema: unknown): string {
  return JSON.stringify(schema, null, 2) + '\n';
}

if (process.argv[1] && /write-schemas\.[jt]s$/.test(process.argv[1])) {
  for (const { file, schema } of generatedSchemas) writeFileSync(file, schemaText(schema));
}
