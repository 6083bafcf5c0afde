import { costChecks } from '../../cost/checks.js';
import { imageKnownExploitedCheck } from './image-known-exploited.js';
import { imageSecretEnvCheck } from './image-secret-env.js';
import { imageSignedCheck } from './image-signed.js';
import { imageVulnerabilitiesCheck } from './image-vulnerabilities.js';
import { tfDestructiveChangeCheck } from './tf-destructive-change.js';
import { tfPlaintextSecretsCheck } from './tf-plaintext-secrets.js';
import type { CheckDefinition } from './types.js';

/** Every named check, one file each in this folder. Names are unique. */
export const checks: CheckDefinition[] = [
  imageKnownExploitedCheck,
  imageSecretEnvCheck,
  imageSignedCheck,
  imageVulnerabilitiesCheck,
  tfDestructiveChangeCheck,
  tfPlaintextSecretsCheck,
  ...costChecks,
];

export type { CheckDefinition } from './types.js';
