import type { Finding, FindingStatus, Waiver } from '../../src/model/finding.js';
import { policyInfo, type Policy, type Severity } from '../../src/model/policy.js';
import type { ResourceRef } from '../../src/model/resource.js';
import {
  compareFindings,
  compareResources,
  fingerprint,
  summarize,
  type Result,
} from '../../src/model/result.js';

/**
 * A realistic result of `parapet check k8s/ infra/plan.json` on a platform repository: Kubernetes
 * workloads, a cluster-scoped RBAC object, a Terraform plan, an image, every finding status, a
 * waiver, a baseline-known finding, notices and a cost delta. Reporter golden files are rendered
 * from it, so it is built by hand and never changes unless a golden file is regenerated with it.
 */
export function sampleResult(): Result {
  const resources: Record<string, ResourceRef> = {
    web: {
      id: 'Deployment/shop/web',
      kind: 'Deployment',
      source: 'kubernetes',
      file: 'k8s/shop/web.yaml',
      line: 1,
    },
    worker: {
      id: 'StatefulSet/shop/worker',
      kind: 'StatefulSet',
      source: 'kubernetes',
      file: 'k8s/shop/worker.yaml',
      line: 1,
    },
    exporter: {
      id: 'DaemonSet/monitoring/node-exporter',
      kind: 'DaemonSet',
      source: 'kubernetes',
      file: 'k8s/monitoring/node-exporter.yaml',
      line: 3,
    },
    role: {
      id: 'ClusterRole/ops-admin',
      kind: 'ClusterRole',
      source: 'kubernetes',
      file: 'k8s/rbac.yaml',
      line: 12,
    },
    bucket: {
      id: 'aws_s3_bucket.logs',
      kind: 'aws_s3_bucket',
      source: 'terraform',
      file: 'infra/plan.json',
      line: 41,
    },
    db: {
      id: 'module.db.aws_db_instance.main',
      kind: 'aws_db_instance',
      source: 'terraform',
      file: 'infra/plan.json',
      line: 118,
    },
    plan: { id: 'plan', kind: 'plan', source: 'terraform', file: 'infra/plan.json', line: 1 },
    image: {
      id: 'docker.io/library/nginx:latest',
      kind: 'image',
      source: 'image',
      file: 'k8s/shop/web.yaml',
      line: 22,
    },
  };
  const policies: Policy[] = [
    policy(
      'pss-baseline-privileged',
      'Privileged containers are disallowed',
      'high',
      'security',
      ['pss-baseline'],
      {
        remediation: 'Remove securityContext.privileged or set it to false.',
        references: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline'],
      },
    ),
    policy(
      'pss-baseline-host-namespaces',
      'Host namespaces are disallowed',
      'high',
      'security',
      ['pss-baseline'],
      {
        remediation: 'Set hostNetwork, hostPID and hostIPC to false.',
        references: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline'],
      },
    ),
    policy(
      'pss-restricted-run-as-non-root',
      'Containers must run as non-root',
      'medium',
      'security',
      ['pss-restricted'],
      {
        remediation: 'Set securityContext.runAsNonRoot: true on the pod or every container.',
      },
    ),
    policy(
      'k8s-rbac-wildcard',
      'Roles must not grant wildcard permissions',
      'critical',
      'security',
      ['rbac'],
      {
        remediation: 'List the resources and verbs the role needs instead of "*".',
      },
    ),
    policy(
      'k8s-resources-limits',
      'Containers declare CPU and memory limits',
      'low',
      'reliability',
      ['best-practice'],
      {},
    ),
    policy(
      'tf-s3-public-access-block',
      'S3 buckets block public access',
      'high',
      'security',
      ['cis-aws-2.1.5'],
      {
        remediation: 'Add an aws_s3_bucket_public_access_block with all four settings true.',
        references: [
          'https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html',
        ],
      },
    ),
    policy('tf-rds-encrypted', 'RDS instances are encrypted at rest', 'high', 'security', ['cis-aws-2.3.1'], {
      remediation: 'Set storage_encrypted = true and a kms_key_id.',
    }),
    policy(
      'tf-replace-stateful',
      'Stateful resources are not replaced',
      'critical',
      'reliability',
      ['guardrail'],
      {},
    ),
    policy(
      'cost-plan-delta-budget',
      'Monthly cost increase stays within budget',
      'medium',
      'cost',
      ['cost'],
      {},
    ),
    policy(
      'image-tag-latest',
      'Images are pinned to a tag other than latest',
      'medium',
      'best-practice',
      ['images'],
      {
        remediation: 'Use an immutable tag or a digest: nginx:1.27.3 or nginx@sha256:....',
      },
    ),
    policy(
      'rego-required-labels',
      'Workloads carry the owner and team labels',
      'low',
      'best-practice',
      ['rego'],
      {},
    ),
  ];
  const waiver: Waiver = {
    policy: 'pss-baseline-host-namespaces',
    resource: 'DaemonSet/monitoring/node-exporter',
    reason: 'node-exporter reads host network statistics',
    owner: 'team-observability',
    expires: '2099-12-31',
    ticket: 'OBS-1182',
    origin: 'parapet.yaml',
  };
  const findings: Finding[] = [
    finding(
      'pss-baseline-privileged',
      'high',
      'fail',
      resources.web!,
      '/spec/template/spec/containers/0/securityContext/privileged',
      'Container "web" sets securityContext.privileged to true',
    ),
    finding(
      'pss-restricted-run-as-non-root',
      'medium',
      'warn',
      resources.web!,
      '/spec/template/spec/securityContext/runAsNonRoot',
      'Deployment/shop/web does not set runAsNonRoot: true',
      { mode: 'warn' },
    ),
    finding(
      'k8s-resources-limits',
      'low',
      'audit',
      resources.worker!,
      '/spec/template/spec/containers/1/resources/limits',
      'Container "metrics" declares no memory limit',
      { mode: 'audit' },
    ),
    finding(
      'pss-baseline-privileged',
      'high',
      'fail',
      resources.worker!,
      '/spec/template/spec/initContainers/0/securityContext/privileged',
      'Container "fix-permissions" sets securityContext.privileged to true',
      { baseline: true },
    ),
    finding(
      'pss-baseline-host-namespaces',
      'high',
      'waived',
      resources.exporter!,
      '/spec/template/spec/hostNetwork',
      'DaemonSet/monitoring/node-exporter sets hostNetwork to true',
      { waiver },
    ),
    finding(
      'k8s-rbac-wildcard',
      'critical',
      'fail',
      resources.role!,
      '/rules/0/verbs',
      'ClusterRole/ops-admin grants verbs ["*"] on <script>alert("x")</script> & pods',
    ),
    finding(
      'tf-s3-public-access-block',
      'high',
      'fail',
      resources.bucket!,
      '',
      'aws_s3_bucket.logs has no aws_s3_bucket_public_access_block',
    ),
    finding(
      'tf-rds-encrypted',
      'high',
      'unknown',
      resources.db!,
      '/storage_encrypted',
      'module.db.aws_db_instance.main: storage_encrypted is unknown until apply',
      { unknownPaths: ['/storage_encrypted'] },
    ),
    finding(
      'tf-replace-stateful',
      'critical',
      'approved',
      resources.db!,
      '',
      'module.db.aws_db_instance.main will be replaced (delete, create)',
      {
        approval: {
          policy: 'tf-replace-stateful',
          resource: 'module.db.aws_db_instance.main',
          by: '--approve',
        },
      },
    ),
    finding(
      'cost-plan-delta-budget',
      'medium',
      'audit',
      resources.plan!,
      '',
      'The plan adds $412.48/month, over the $250.00 budget',
      { mode: 'audit' },
    ),
    finding(
      'image-tag-latest',
      'medium',
      'fail',
      resources.image!,
      '',
      'Image docker.io/library/nginx:latest uses the latest tag',
    ),
    finding(
      'rego-required-labels',
      'low',
      'error',
      resources.web!,
      '',
      'policy could not be evaluated: wasm trap: out of bounds memory access',
    ),
  ].sort(compareFindings);
  const resourceList = Object.values(resources).sort(compareResources);
  const evaluated = new Map<string, string[]>();
  for (const resource of resourceList) {
    evaluated.set(
      resource.id,
      policies
        .filter((p) => sourceOf(p.id) === resource.source)
        .map((p) => p.id)
        .sort(),
    );
  }
  return {
    findings,
    resources: resourceList,
    policies: policies.map(policyInfo).sort((a, b) => (a.id < b.id ? -1 : 1)),
    notices: [
      {
        level: 'warning',
        code: 'waiver-expired',
        message:
          'waiver for pss-restricted-* on Deployment/legacy/* (owner alice@acme.example) expired on 2025-01-31 and no longer applies',
        file: 'parapet.yaml',
      },
      {
        level: 'warning',
        code: 'waiver-stale',
        message: 'waiver for tf-rds-encrypted on aws_db_instance.legacy (owner team-data) matches no finding',
        file: 'parapet.yaml',
      },
      {
        level: 'info',
        code: 'input-skipped',
        message: 'k8s/shop/kustomization.yaml: not a Kubernetes object (kustomize configuration), skipped',
        file: 'k8s/shop/kustomization.yaml',
      },
    ],
    summary: summarize(findings, resourceList.length, policies.length),
    evaluated,
    extras: {
      cost: {
        currency: 'USD',
        monthlyBefore: 1840.25,
        monthlyAfter: 2252.73,
        delta: 412.48,
        resources: [
          {
            id: 'module.db.aws_db_instance.main',
            monthlyBefore: 1203.4,
            monthlyAfter: 1406.08,
            delta: 202.68,
          },
          { id: 'aws_nat_gateway.egress[1]', monthlyBefore: 0, monthlyAfter: 32.85, delta: 32.85 },
          {
            id: 'aws_instance.batch',
            monthlyBefore: null,
            monthlyAfter: null,
            delta: null,
            unknownReason: 'instance_type unknown until apply',
          },
        ],
      },
    },
  };
}

function sourceOf(policyId: string): string {
  if (policyId.startsWith('tf-') || policyId.startsWith('cost-')) return 'terraform';
  if (policyId.startsWith('image-')) return 'image';
  return 'kubernetes';
}

function policy(
  id: string,
  title: string,
  severity: Severity,
  category: string,
  tags: string[],
  extra: { remediation?: string; references?: string[] },
): Policy {
  const target = sourceOf(id);
  return {
    id,
    title,
    description: `${title}.`,
    severity,
    category,
    tags,
    match: { source: target as 'kubernetes' | 'terraform' | 'image' },
    rule: { check: { name: id } },
    message: title,
    remediation: extra.remediation,
    references: extra.references ?? [],
    file: `policies/${target}/${id}.yaml`,
    builtin: true,
  };
}

function finding(
  policyId: string,
  severity: Severity,
  status: FindingStatus,
  resource: ResourceRef,
  path: string,
  message: string,
  extra: Partial<Finding> = {},
): Finding {
  return {
    policyId,
    severity,
    status,
    mode: 'enforce',
    message,
    path,
    resource,
    fingerprint: fingerprint(policyId, resource.id, path),
    ...extra,
  };
}
