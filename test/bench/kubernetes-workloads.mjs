// Generates realistic workload manifests for the Kubernetes benchmark: a mix of kinds, container
// lists, security contexts, probes and resources, so every built-in policy has work to do.
const kinds = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'];

function container(i, j, hardened) {
  const lines = [
    `- name: app-${j}`,
    `  image: ${i % 7 === 0 ? 'nginx' : `ghcr.io/acme/service-${i % 50}:${1 + (i % 9)}.${j}.0`}`,
    `  imagePullPolicy: ${i % 3 === 0 ? 'Always' : 'IfNotPresent'}`,
    '  ports:',
    `    - containerPort: ${8000 + j}`,
    '      protocol: TCP',
    '  env:',
    '    - name: LOG_LEVEL',
    '      value: info',
    `    - name: ${i % 11 === 0 ? 'DB_PASSWORD' : 'REGION'}`,
    `      value: ${i % 11 === 0 ? 's3cr3t-value' : 'eu-west-1'}`,
  ];
  if (i % 4 !== 0) {
    lines.push(
      '  resources:',
      '    requests: { cpu: 100m, memory: 128Mi }',
      '    limits: { cpu: 500m, memory: 256Mi }',
      '  readinessProbe:',
      `    httpGet: { path: /healthz, port: ${8000 + j} }`,
      '  livenessProbe:',
      `    httpGet: { path: /livez, port: ${8000 + j} }`,
    );
  }
  lines.push('  securityContext:');
  if (hardened) {
    lines.push(
      '    allowPrivilegeEscalation: false',
      '    readOnlyRootFilesystem: true',
      '    runAsNonRoot: true',
      '    capabilities: { drop: [ALL] }',
      '    seccompProfile: { type: RuntimeDefault }',
    );
  } else {
    lines.push(`    privileged: ${i % 13 === 0}`, '    capabilities: { add: [NET_ADMIN] }');
  }
  return lines;
}

function podSpec(i, indent) {
  const hardened = i % 2 === 0;
  const lines = [
    `serviceAccountName: sa-${i % 20}`,
    `automountServiceAccountToken: ${i % 5 === 0}`,
    ...(i % 17 === 0 ? ['hostNetwork: true'] : []),
    ...(hardened
      ? ['securityContext:', '  runAsNonRoot: true', '  seccompProfile: { type: RuntimeDefault }']
      : []),
    'containers:',
    ...container(i, 0, hardened),
    ...(i % 3 === 0 ? container(i, 1, hardened) : []),
    ...(i % 6 === 0 ? ['initContainers:', ...container(i, 9, hardened)] : []),
    'volumes:',
    '  - name: config',
    `    configMap: { name: config-${i % 30} }`,
    ...(i % 19 === 0 ? ['  - name: host', '    hostPath: { path: /var/run }'] : []),
  ];
  return lines.map((line) => ' '.repeat(indent) + line);
}

/** One YAML stream of `count` workload documents. */
export function workloadStream(count) {
  const docs = [];
  for (let i = 0; i < count; i += 1) {
    const kind = kinds[i % kinds.length];
    const ns = `team-${i % 40}`;
    const name = `svc-${i}`;
    const head = [
      `apiVersion: ${kind === 'Pod' ? 'v1' : kind === 'Job' || kind === 'CronJob' ? 'batch/v1' : 'apps/v1'}`,
      `kind: ${kind}`,
      'metadata:',
      `  name: ${name}`,
      `  namespace: ${ns}`,
      '  labels:',
      `    app.kubernetes.io/name: ${name}`,
      '    app.kubernetes.io/part-of: shop',
    ];
    const template = [
      'template:',
      '  metadata:',
      '    labels:',
      `      app.kubernetes.io/name: ${name}`,
      '  spec:',
    ];
    let body;
    if (kind === 'Pod') body = ['spec:', ...podSpec(i, 2)];
    else if (kind === 'CronJob') {
      body = [
        'spec:',
        '  schedule: "*/15 * * * *"',
        '  jobTemplate:',
        '    spec:',
        ...template.map((l) => '      ' + l),
        ...podSpec(i, 10),
      ];
    } else {
      const extra = kind === 'Deployment' || kind === 'StatefulSet' ? [`  replicas: ${1 + (i % 5)}`] : [];
      const selector =
        kind === 'Job' ? [] : ['  selector:', '    matchLabels:', `      app.kubernetes.io/name: ${name}`];
      body = ['spec:', ...extra, ...selector, ...template.map((l) => '  ' + l), ...podSpec(i, 6)];
    }
    docs.push([...head, ...body].join('\n'));
  }
  return docs.join('\n---\n') + '\n';
}
