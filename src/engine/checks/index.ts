import { costChecks } from '../../cost/checks.js';
import { certManagerCertificateRenewalCheck } from './cert-manager-certificate-renewal.js';
import { imageKnownExploitedCheck } from './image-known-exploited.js';
import { imageSecretEnvCheck } from './image-secret-env.js';
import { imageSignedCheck } from './image-signed.js';
import { imageVulnerabilitiesCheck } from './image-vulnerabilities.js';
import { istioMtlsCoverageCheck } from './istio-mtls-coverage.js';
import { k8sIngressCertificateHostsCheck } from './k8s-ingress-certificate-hosts.js';
import { k8sTlsCertificatesCheck } from './k8s-tls-certificates.js';
import { tfDestructiveChangeCheck } from './tf-destructive-change.js';
import { tfPlaintextSecretsCheck } from './tf-plaintext-secrets.js';
import type { CheckDefinition } from './types.js';
import { veleroBackupCoverageCheck } from './velero-backup-coverage.js';
import { veleroScheduleTtlCheck } from './velero-schedule-ttl.js';

/** Every named check, one file each in this folder. Names are unique. */
export const checks: CheckDefinition[] = [
  certManagerCertificateRenewalCheck,
  imageKnownExploitedCheck,
  imageSecretEnvCheck,
  imageSignedCheck,
  imageVulnerabilitiesCheck,
  istioMtlsCoverageCheck,
  k8sIngressCertificateHostsCheck,
  k8sTlsCertificatesCheck,
  tfDestructiveChangeCheck,
  tfPlaintextSecretsCheck,
  veleroBackupCoverageCheck,
  veleroScheduleTtlCheck,
  ...costChecks,
];

export type { CheckDefinition } from './types.js';
