import { costChecks } from '../../cost/checks.js';
import { awsBackupCoverageCheck } from './aws-backup-coverage.js';
import { awsIamPermissionsCheck } from './aws-iam-permissions.js';
import { awsIamPrincipalsCheck } from './aws-iam-principals.js';
import { certManagerCertificateRenewalCheck } from './cert-manager-certificate-renewal.js';
import { imageKnownExploitedCheck } from './image-known-exploited.js';
import { imageSecretEnvCheck } from './image-secret-env.js';
import { imageSignedCheck } from './image-signed.js';
import { imageVulnerabilitiesCheck } from './image-vulnerabilities.js';
import { istioMtlsCoverageCheck } from './istio-mtls-coverage.js';
import { k8sIngressCertificateHostsCheck } from './k8s-ingress-certificate-hosts.js';
import { k8sTlsCertificatesCheck } from './k8s-tls-certificates.js';
import { k8sApiVersionsCheck } from './k8s-api-versions.js';
import { k8sHpaReplicasCheck, k8sPdbHpaMinReplicasCheck } from './k8s-autoscaling.js';
import { k8sBindingRoleCheck } from './k8s-binding-role.js';
import { k8sConfigMapCredentialsCheck } from './k8s-configmap-credentials.js';
import { k8sInstanceLabelCheck } from './k8s-instance-label.js';
import { k8sNetworkPolicyCoverageCheck } from './k8s-network-policy-coverage.js';
import { k8sQosClassCheck } from './k8s-qos-class.js';
import { k8sServiceAccountTokenCheck } from './k8s-service-account-token.js';
import { linkerdAuthorizationAllowAllCheck } from './linkerd-authorization-allow-all.js';
import { tfDestructiveChangeCheck } from './tf-destructive-change.js';
import { tfPlaintextSecretsCheck } from './tf-plaintext-secrets.js';
import type { CheckDefinition } from './types.js';
import { veleroBackupCoverageCheck } from './velero-backup-coverage.js';
import { veleroScheduleTtlCheck } from './velero-schedule-ttl.js';

/** Every named check, one file each in this folder. Names are unique. */
export const checks: CheckDefinition[] = [
  awsBackupCoverageCheck,
  awsIamPermissionsCheck,
  awsIamPrincipalsCheck,
  certManagerCertificateRenewalCheck,
  imageKnownExploitedCheck,
  imageSecretEnvCheck,
  imageSignedCheck,
  imageVulnerabilitiesCheck,
  istioMtlsCoverageCheck,
  k8sIngressCertificateHostsCheck,
  k8sTlsCertificatesCheck,
  k8sApiVersionsCheck,
  k8sBindingRoleCheck,
  k8sHpaReplicasCheck,
  k8sPdbHpaMinReplicasCheck,
  k8sConfigMapCredentialsCheck,
  k8sInstanceLabelCheck,
  k8sNetworkPolicyCoverageCheck,
  k8sQosClassCheck,
  k8sServiceAccountTokenCheck,
  linkerdAuthorizationAllowAllCheck,
  tfDestructiveChangeCheck,
  tfPlaintextSecretsCheck,
  veleroBackupCoverageCheck,
  veleroScheduleTtlCheck,
  ...costChecks,
];

export type { CheckDefinition } from './types.js';
