import { readdirSync } from 'node:fs';
import path from 'node:path';

/** Every file below `dir`, sorted, skipping hidden entries and policy test fixture folders. */
export function policyDirectoryFiles(dir: string): string[] {
  const out: string[] = [];
  const visit = (current: string) => {
    const entries = readdirSync(current, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === 'tests' || entry.name === 'node_modules') continue;
        visit(full);
      } else if (entry.isFile()) {
        out.push(full);
      }
    }
  };
  visit(dir);
  return out;
}
