/**
 * Pod shapes for the Pod Security Standards parity suite: a hand-written table, control by control and
 * field by field (every container list, pod and container level, allowed and forbidden values), and
 * fast-check arbitraries that combine the same fields at random.
 */
import fc from 'fast-check';

type Obj = Record<string, unknown>;
export type ContainerList = 'containers' | 'initContainers' | 'ephemeralContainers';

export const containerLists: ContainerList[] = ['containers', 'initContainers', 'ephemeralContainers'];

/** Every kind that carries a pod template, as the issue lists them. */
export const podBearingKinds = [
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
  'PodTemplate',
] as const;
export type PodBearingKind = (typeof podBearingKinds)[number];

export interface PodShape {
  metadata: Obj;
  spec: Obj;
}

export interface ShapeCase {
  name: string;
  pod: PodShape;
}

/** A pod that every PSS control, baseline and restricted, allows. */
export function compliantPod(): PodShape {
  return {
    metadata: { name: 'shape', labels: { app: 'shape' } },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [compliantContainer('app')],
    },
  };
}

function compliantContainer(name: string): Obj {
  return {
    name,
    image: 'registry.example.com/shop/app:1.4.2',
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  };
}

/** The container at `list[0]`, created (compliant) when the list is empty. */
function container(pod: PodShape, list: ContainerList): Obj {
  const items = (pod.spec[list] ??= []) as Obj[];
  if (items.length === 0) {
    const fresh = compliantContainer(
      list === 'containers' ? 'app' : list === 'initContainers' ? 'init' : 'debugger',
    );
    if (list === 'ephemeralContainers') fresh.targetContainerName = 'app';
    items.push(fresh);
  }
  return items[0]!;
}

function securityContext(owner: Obj): Obj {
  return (owner.securityContext ??= {}) as Obj;
}

type Mutation = (pod: PodShape) => void;

function shape(name: string, ...mutations: Mutation[]): ShapeCase {
  const pod = compliantPod();
  for (const mutate of mutations) mutate(pod);
  return { name, pod };
}

const podSc =
  (fields: Obj): Mutation =>
  (pod) =>
    Object.assign(securityContext(pod.spec), fields);
const containerSc =
  (list: ContainerList, fields: Obj): Mutation =>
  (pod) =>
    Object.assign(securityContext(container(pod, list)), fields);
const inContainer =
  (list: ContainerList, fields: Obj): Mutation =>
  (pod) =>
    Object.assign(container(pod, list), fields);
const podSpec =
  (fields: Obj): Mutation =>
  (pod) =>
    Object.assign(pod.spec, fields);
const annotations =
  (fields: Record<string, string>): Mutation =>
  (pod) =>
    Object.assign((pod.metadata.annotations ??= {}) as Obj, fields);
const windows: Mutation = (pod) => {
  pod.spec.os = { name: 'windows' };
  // API validation forbids Linux-only fields on Windows pods; a valid Windows pod carries none.
  delete securityContext(pod.spec).seccompProfile;
  for (const list of containerLists) {
    for (const item of (pod.spec[list] as Obj[] | undefined) ?? []) delete item.securityContext;
  }
};

export const baselineCapabilities = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];
export const safeSysctls = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
  'net.ipv4.tcp_slow_start_after_idle',
  'net.ipv4.tcp_notsent_lowat',
];
/** Sysctls no version of the standard allows. */
export const unsafeSysctls = ['kernel.msgmax', 'net.core.somaxconn', 'vm.swappiness', 'net.ipv4.ip_forward'];

export const allowedVolumeSources: Record<string, Obj> = {
  configMap: { name: 'app-config' },
  csi: {
    driver: 'secrets-store.csi.k8s.io',
    readOnly: true,
    volumeAttributes: { secretProviderClass: 'app' },
  },
  downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] },
  emptyDir: { medium: 'Memory', sizeLimit: '64Mi' },
  ephemeral: {
    volumeClaimTemplate: {
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
  },
  image: { reference: 'registry.example.com/models/llm:2024.10', pullPolicy: 'IfNotPresent' },
  persistentVolumeClaim: { claimName: 'data' },
  projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] },
  secret: { secretName: 'app-tls' },
};

export const restrictedVolumeSources: Record<string, Obj> = {
  hostPath: { path: '/var/run/docker.sock', type: 'Socket' },
  gcePersistentDisk: { pdName: 'data-disk', fsType: 'ext4' },
  awsElasticBlockStore: { volumeID: 'vol-0abc1234', fsType: 'ext4' },
  gitRepo: { repository: 'https://git.example.com/app.git', revision: 'main' },
  nfs: { server: 'nfs.example.com', path: '/exports/data' },
  iscsi: { targetPortal: '10.0.0.10:3260', iqn: 'iqn.2001-04.com.example:storage', lun: 0 },
  glusterfs: { endpoints: 'glusterfs-cluster', path: 'vol' },
  rbd: { monitors: ['10.0.0.11:6789'], image: 'app' },
  flexVolume: { driver: 'example.com/lvm' },
  cinder: { volumeID: 'cinder-vol' },
  cephfs: { monitors: ['10.0.0.12:6789'] },
  flocker: { datasetName: 'data' },
  fc: { targetWWNs: ['500a0982991b8dc5'], lun: 2 },
  azureFile: { secretName: 'azure-secret', shareName: 'share' },
  vsphereVolume: { volumePath: '[datastore1] volumes/app' },
  quobyte: { registry: 'quobyte.example.com:7861', volume: 'data' },
  azureDisk: { diskName: 'data', diskURI: 'https://example.blob.core.windows.net/vhds/data.vhd' },
  photonPersistentDisk: { pdID: 'photon-disk' },
  portworxVolume: { volumeID: 'px-vol' },
  scaleIO: { gateway: 'https://scaleio.example.com', system: 'scaleio', secretRef: { name: 'sio' } },
  storageos: { volumeName: 'data' },
};

const probeKinds = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const lifecycleHooks = ['postStart', 'preStop'] as const;

/** The hand-written table: every control, every field, every list, allowed and forbidden values. */
export function shapeTable(): ShapeCase[] {
  const cases: ShapeCase[] = [shape('compliant restricted pod')];
  const add = (name: string, ...mutations: Mutation[]) => cases.push(shape(name, ...mutations));

  // Baseline: HostProcess.
  for (const value of [true, false]) {
    add(
      `pod windowsOptions.hostProcess=${value}`,
      windows,
      podSc({ windowsOptions: { hostProcess: value, runAsUserName: 'NT AUTHORITY\\SYSTEM' } }),
    );
    for (const list of containerLists)
      add(
        `${list} windowsOptions.hostProcess=${value}`,
        windows,
        containerSc(list, { windowsOptions: { hostProcess: value } }),
      );
  }
  // Baseline: host namespaces.
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'])
    for (const value of [true, false]) add(`${field}=${value}`, podSpec({ [field]: value }));
  // Baseline: privileged.
  for (const list of containerLists)
    for (const value of [true, false])
      add(`${list} privileged=${value}`, containerSc(list, { privileged: value }));
  // Baseline capabilities (and restricted: only NET_BIND_SERVICE may be added).
  for (const cap of [
    ...baselineCapabilities,
    'NET_RAW',
    'SYS_ADMIN',
    'NET_ADMIN',
    'SYS_PTRACE',
    'ALL',
    'CAP_CHOWN',
    'chown',
  ]) {
    add(
      `containers capabilities.add=[${cap}]`,
      containerSc('containers', { capabilities: { drop: ['ALL'], add: [cap] } }),
    );
  }
  for (const list of containerLists) {
    add(
      `${list} capabilities.add=[SYS_ADMIN]`,
      containerSc(list, { capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } }),
    );
    add(
      `${list} capabilities.add=[KILL,NET_BIND_SERVICE]`,
      containerSc(list, { capabilities: { drop: ['ALL'], add: ['KILL', 'NET_BIND_SERVICE'] } }),
    );
  }
  // Baseline: hostPath volumes.
  add(
    'volume hostPath',
    podSpec({ volumes: [{ name: 'docker', hostPath: { path: '/var/run/docker.sock' } }] }),
  );
  add(
    'volume hostPath: null next to emptyDir',
    podSpec({ volumes: [{ name: 'scratch', hostPath: null, emptyDir: {} }] }),
  );
  // Baseline: host ports.
  for (const list of containerLists) {
    for (const hostPort of [0, 8080, undefined]) {
      const port: Obj = { name: 'http', containerPort: 8080, protocol: 'TCP' };
      if (hostPort !== undefined) port.hostPort = hostPort;
      add(
        `${list} ports[].hostPort=${String(hostPort)}`,
        inContainer(list, { ports: [{ containerPort: 9090, name: 'metrics' }, port] }),
      );
    }
  }
  // Baseline: probe and lifecycle hosts.
  for (const list of containerLists) {
    for (const probe of probeKinds) {
      for (const host of ['', '169.254.169.254']) {
        add(
          `${list} ${probe}.httpGet.host=${JSON.stringify(host)}`,
          inContainer(list, { [probe]: { httpGet: { path: '/healthz', port: 8080, host } } }),
        );
        add(
          `${list} ${probe}.tcpSocket.host=${JSON.stringify(host)}`,
          inContainer(list, { [probe]: { tcpSocket: { port: 8080, host } } }),
        );
      }
    }
    add(
      `${list} grpc and exec probes`,
      inContainer(list, {
        livenessProbe: { grpc: { port: 9000 } },
        readinessProbe: { exec: { command: ['cat', '/tmp/ready'] } },
      }),
    );
    for (const hook of lifecycleHooks) {
      for (const host of ['', 'metadata.google.internal']) {
        add(
          `${list} lifecycle.${hook}.httpGet.host=${JSON.stringify(host)}`,
          inContainer(list, { lifecycle: { [hook]: { httpGet: { path: '/drain', port: 8080, host } } } }),
        );
        add(
          `${list} lifecycle.${hook}.tcpSocket.host=${JSON.stringify(host)}`,
          inContainer(list, { lifecycle: { [hook]: { tcpSocket: { port: 8080, host } } } }),
        );
      }
      add(
        `${list} lifecycle.${hook}.sleep`,
        inContainer(list, { lifecycle: { [hook]: { sleep: { seconds: 5 } } } }),
      );
    }
  }
  // Baseline: AppArmor (fields and the legacy annotations).
  for (const type of ['RuntimeDefault', 'Localhost', 'Unconfined']) {
    const profile: Obj =
      type === 'Localhost' ? { type, localhostProfile: 'k8s-apparmor-example-deny-write' } : { type };
    add(`pod appArmorProfile.type=${type}`, podSc({ appArmorProfile: profile }));
    for (const list of containerLists)
      add(`${list} appArmorProfile.type=${type}`, containerSc(list, { appArmorProfile: profile }));
  }
  add('pod appArmorProfile without a type', podSc({ appArmorProfile: {} }));
  add('containers appArmorProfile without a type', containerSc('containers', { appArmorProfile: {} }));
  for (const value of [
    'runtime/default',
    'localhost/k8s-apparmor-example',
    '',
    'unconfined',
    'docker-default',
  ]) {
    add(
      `annotation container.apparmor.security.beta.kubernetes.io/app=${JSON.stringify(value)}`,
      annotations({ 'container.apparmor.security.beta.kubernetes.io/app': value }),
    );
  }
  add(
    'apparmor annotation for a container that does not exist',
    annotations({ 'container.apparmor.security.beta.kubernetes.io/ghost': 'unconfined' }),
  );
  // Baseline: SELinux.
  for (const type of [
    '',
    'container_t',
    'container_init_t',
    'container_kvm_t',
    'container_engine_t',
    'spc_t',
    'unconfined_t',
  ]) {
    add(
      `pod seLinuxOptions.type=${JSON.stringify(type)}`,
      podSc({ seLinuxOptions: { type, level: 's0:c123,c456' } }),
    );
    for (const list of containerLists)
      add(
        `${list} seLinuxOptions.type=${JSON.stringify(type)}`,
        containerSc(list, { seLinuxOptions: { type } }),
      );
  }
  for (const field of ['user', 'role']) {
    for (const value of ['', field === 'user' ? 'system_u' : 'system_r']) {
      add(
        `pod seLinuxOptions.${field}=${JSON.stringify(value)}`,
        podSc({ seLinuxOptions: { [field]: value } }),
      );
      for (const list of containerLists)
        add(
          `${list} seLinuxOptions.${field}=${JSON.stringify(value)}`,
          containerSc(list, { seLinuxOptions: { [field]: value } }),
        );
    }
  }
  add('pod seLinuxOptions.level only', podSc({ seLinuxOptions: { level: 's0:c1,c2' } }));
  // Baseline: procMount.
  for (const list of containerLists)
    for (const value of ['Default', 'Unmasked', ''])
      add(`${list} procMount=${JSON.stringify(value)}`, containerSc(list, { procMount: value }));
  add(
    'hostUsers: false with procMount Unmasked',
    podSpec({ hostUsers: false }),
    containerSc('containers', { procMount: 'Unmasked' }),
  );
  // Baseline and restricted: seccomp.
  for (const type of ['RuntimeDefault', 'Localhost', 'Unconfined']) {
    const profile: Obj = type === 'Localhost' ? { type, localhostProfile: 'profiles/audit.json' } : { type };
    add(`pod seccompProfile.type=${type}`, podSc({ seccompProfile: profile }));
    add(
      `pod seccompProfile unset, containers seccompProfile.type=${type}`,
      podSc({ seccompProfile: undefined }),
      containerSc('containers', { seccompProfile: profile }),
    );
    for (const list of containerLists)
      add(
        `${list} seccompProfile.type=${type} under a pod RuntimeDefault`,
        containerSc(list, { seccompProfile: profile }),
      );
  }
  add('pod seccompProfile without a type', podSc({ seccompProfile: {} }));
  add('containers seccompProfile without a type', containerSc('containers', { seccompProfile: {} }));
  add(
    'pod Unconfined, every container RuntimeDefault',
    podSc({ seccompProfile: { type: 'Unconfined' } }),
    containerSc('containers', { seccompProfile: { type: 'RuntimeDefault' } }),
  );
  add(
    'legacy seccomp annotations are not checked any more',
    annotations({
      'seccomp.security.alpha.kubernetes.io/pod': 'unconfined',
      'container.seccomp.security.alpha.kubernetes.io/app': 'unconfined',
    }),
  );
  add(
    'pod seccomp unset, init container sets none',
    podSc({ seccompProfile: undefined }),
    containerSc('containers', { seccompProfile: { type: 'RuntimeDefault' } }),
    containerSc('initContainers', {}),
  );
  // Baseline: sysctls.
  for (const name of [...safeSysctls, ...unsafeSysctls])
    add(`sysctl ${name}`, podSc({ sysctls: [{ name, value: '1' }] }));
  add(
    'safe and unsafe sysctls together',
    podSc({
      sysctls: [
        { name: 'net.ipv4.tcp_syncookies', value: '1' },
        { name: 'kernel.msgmax', value: '65536' },
      ],
    }),
  );
  // Restricted: volume types.
  for (const [source, value] of Object.entries({ ...allowedVolumeSources, ...restrictedVolumeSources })) {
    add(
      `volume ${source}`,
      podSpec({
        volumes: [
          { name: 'config', configMap: { name: 'app' } },
          { name: 'data', [source]: value },
        ],
      }),
    );
  }
  add('volume with no source', podSpec({ volumes: [{ name: 'empty' }] }));
  // Restricted: allowPrivilegeEscalation.
  for (const list of containerLists) {
    for (const value of [true, false, undefined])
      add(
        `${list} allowPrivilegeEscalation=${String(value)}`,
        containerSc(list, { allowPrivilegeEscalation: value }),
      );
  }
  add('containers without securityContext', inContainer('containers', { securityContext: undefined }));
  add('windows pod without Linux settings', windows);
  // Restricted: runAsNonRoot, pod and container, every combination.
  for (const podValue of [true, false, undefined]) {
    for (const list of containerLists) {
      for (const containerValue of [true, false, undefined]) {
        add(
          `pod runAsNonRoot=${String(podValue)}, ${list} runAsNonRoot=${String(containerValue)}`,
          podSc({ runAsNonRoot: podValue }),
          containerSc(list, { runAsNonRoot: containerValue }),
        );
      }
    }
  }
  add(
    'pod runAsNonRoot=false, every container true',
    podSc({ runAsNonRoot: false }),
    containerSc('containers', { runAsNonRoot: true }),
  );
  add('windows pod without runAsNonRoot', windows, podSc({ runAsNonRoot: undefined }));
  // Restricted: runAsUser.
  for (const value of [0, 1000]) {
    add(`pod runAsUser=${value}`, podSc({ runAsUser: value }));
    for (const list of containerLists)
      add(`${list} runAsUser=${value}`, containerSc(list, { runAsUser: value }));
  }
  add(
    'pod runAsUser=0, container overrides 1000',
    podSc({ runAsUser: 0 }),
    containerSc('containers', { runAsUser: 1000 }),
  );
  add('hostUsers: false with runAsUser 0', podSpec({ hostUsers: false }), podSc({ runAsUser: 0 }));
  // Restricted: capabilities.
  for (const list of containerLists) {
    add(`${list} capabilities unset`, containerSc(list, { capabilities: undefined }));
    add(`${list} capabilities.drop=[NET_RAW]`, containerSc(list, { capabilities: { drop: ['NET_RAW'] } }));
    add(`${list} capabilities.drop=[all]`, containerSc(list, { capabilities: { drop: ['all'] } }));
    add(
      `${list} capabilities.drop=[NET_RAW,ALL], add=[NET_BIND_SERVICE]`,
      containerSc(list, { capabilities: { drop: ['NET_RAW', 'ALL'], add: ['NET_BIND_SERVICE'] } }),
    );
    add(
      `${list} capabilities.add=[CHOWN]`,
      containerSc(list, { capabilities: { drop: ['ALL'], add: ['CHOWN'] } }),
    );
  }
  add('windows pod: capabilities are exempt in restricted', windows, containerSc('containers', {}));
  return cases;
}

/** The object of `kind` that carries `pod` as its pod template (or is it, for Pod). */
export function wrapPod(kind: PodBearingKind, pod: PodShape, name = 'shape'): Obj {
  const template = { metadata: { ...pod.metadata, name: undefined }, spec: pod.spec };
  const metadata = { name, namespace: 'pss-parity', labels: { app: name } };
  const selector = { matchLabels: { app: 'shape' } };
  switch (kind) {
    case 'Pod':
      return {
        apiVersion: 'v1',
        kind,
        metadata: { ...pod.metadata, name, namespace: 'pss-parity' },
        spec: pod.spec,
      };
    case 'PodTemplate':
      return { apiVersion: 'v1', kind, metadata, template };
    case 'ReplicationController':
      return {
        apiVersion: 'v1',
        kind,
        metadata,
        spec: { replicas: 1, selector: { app: 'shape' }, template },
      };
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
      return { apiVersion: 'apps/v1', kind, metadata, spec: { selector, template } };
    case 'Job':
      return {
        apiVersion: 'batch/v1',
        kind,
        metadata,
        spec: { backoffLimit: 2, template: { ...template, spec: { restartPolicy: 'Never', ...pod.spec } } },
      };
    case 'CronJob':
      return {
        apiVersion: 'batch/v1',
        kind,
        metadata,
        spec: {
          schedule: '*/15 * * * *',
          jobTemplate: {
            spec: { template: { ...template, spec: { restartPolicy: 'OnFailure', ...pod.spec } } },
          },
        },
      };
  }
}

// ---------------------------------------------------------------------------------------------
// fast-check arbitraries: every field the standard restricts, with allowed and forbidden values.

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
const bool = maybe(fc.boolean());
const seccompProfile = maybe(
  fc.constantFrom<Obj>(
    { type: 'RuntimeDefault' },
    { type: 'Localhost', localhostProfile: 'audit.json' },
    { type: 'Unconfined' },
    {},
  ),
);
const appArmorProfile = maybe(
  fc.constantFrom<Obj>(
    { type: 'RuntimeDefault' },
    { type: 'Localhost', localhostProfile: 'deny-write' },
    { type: 'Unconfined' },
    {},
  ),
);
const seLinuxOptions = maybe(
  fc.record(
    {
      type: fc.constantFrom(
        '',
        'container_t',
        'container_init_t',
        'container_kvm_t',
        'container_engine_t',
        'spc_t',
      ),
      user: fc.constantFrom('', 'system_u'),
      role: fc.constantFrom('', 'system_r'),
      level: fc.constant('s0:c1,c2'),
    },
    { requiredKeys: [] },
  ),
);
const capabilityName = fc.constantFrom(
  ...baselineCapabilities,
  'NET_RAW',
  'SYS_ADMIN',
  'ALL',
  'all',
  'CAP_SYS_ADMIN',
);
const capabilities = maybe(
  fc.record(
    {
      add: maybe(fc.uniqueArray(capabilityName, { maxLength: 3 })),
      drop: maybe(fc.uniqueArray(capabilityName, { maxLength: 2 })),
    },
    { requiredKeys: [] },
  ),
);
const host = fc.constantFrom('', '10.0.0.1');
const handler = fc.oneof(
  fc.record({
    httpGet: fc.record(
      { path: fc.constant('/healthz'), port: fc.constant(8080), host: maybe(host) },
      { requiredKeys: ['path', 'port'] },
    ),
  }),
  fc.record({
    tcpSocket: fc.record({ port: fc.constant(8080), host: maybe(host) }, { requiredKeys: ['port'] }),
  }),
  fc.constant<Obj>({ exec: { command: ['true'] } }),
);

const containerSecurityContext = maybe(
  fc.record(
    {
      privileged: bool,
      allowPrivilegeEscalation: bool,
      runAsNonRoot: bool,
      runAsUser: maybe(fc.constantFrom(0, 1000, 65532)),
      capabilities,
      procMount: maybe(fc.constantFrom('Default', 'Unmasked')),
      seccompProfile,
      appArmorProfile,
      seLinuxOptions,
      windowsOptions: maybe(fc.record({ hostProcess: bool }, { requiredKeys: [] })),
    },
    { requiredKeys: [] },
  ),
);

const containerArb = (name: string) =>
  fc.record(
    {
      name: fc.constant(name),
      image: fc.constant('registry.example.com/shop/app:1.4.2'),
      securityContext: containerSecurityContext,
      ports: maybe(
        fc.array(
          fc.record(
            { containerPort: fc.constant(8080), hostPort: maybe(fc.constantFrom(0, 8080)) },
            { requiredKeys: ['containerPort'] },
          ),
          { maxLength: 2 },
        ),
      ),
      livenessProbe: maybe(handler),
      readinessProbe: maybe(handler),
      startupProbe: maybe(handler),
      lifecycle: maybe(
        fc.record({ postStart: maybe(handler), preStop: maybe(handler) }, { requiredKeys: [] }),
      ),
    },
    { requiredKeys: ['name', 'image'] },
  );

const volumeArb = fc
  .tuple(
    fc.constantFrom(...Object.keys(allowedVolumeSources), ...Object.keys(restrictedVolumeSources)),
    fc.nat(99),
  )
  .map(([source, n]) => ({
    name: `vol-${n}`,
    [source]: allowedVolumeSources[source] ?? restrictedVolumeSources[source],
  }));

const annotationArb = fc.dictionary(
  fc.constantFrom(
    'container.apparmor.security.beta.kubernetes.io/app',
    'container.apparmor.security.beta.kubernetes.io/init',
    'seccomp.security.alpha.kubernetes.io/pod',
    'example.com/owner',
  ),
  fc.constantFrom('runtime/default', 'localhost/profile', 'unconfined', ''),
  { maxKeys: 2 },
);

/** Random pods over every restricted field; Windows pods drop the Linux-only fields API validation rejects. */
export const podShapeArb: fc.Arbitrary<PodShape> = fc
  .record({
    annotations: maybe(annotationArb),
    hostNetwork: bool,
    hostPID: bool,
    hostIPC: bool,
    hostUsers: bool,
    windows: fc.boolean(),
    securityContext: maybe(
      fc.record(
        {
          runAsNonRoot: bool,
          runAsUser: maybe(fc.constantFrom(0, 1000)),
          seccompProfile,
          appArmorProfile,
          seLinuxOptions,
          windowsOptions: maybe(fc.record({ hostProcess: bool }, { requiredKeys: [] })),
          sysctls: maybe(
            fc
              .uniqueArray(fc.constantFrom(...safeSysctls, ...unsafeSysctls), { maxLength: 2 })
              .map((names) => names.map((name) => ({ name, value: '1' }))),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    containers: fc.tuple(containerArb('app'), maybe(containerArb('sidecar'))),
    initContainers: maybe(fc.tuple(containerArb('init'))),
    ephemeralContainers: maybe(fc.tuple(containerArb('debugger'))),
    volumes: maybe(fc.array(volumeArb, { maxLength: 2 })),
  })
  .map((drawn) => {
    const spec: Obj = {};
    for (const field of [
      'hostNetwork',
      'hostPID',
      'hostIPC',
      'hostUsers',
      'securityContext',
      'initContainers',
      'ephemeralContainers',
    ] as const) {
      if (drawn[field] !== undefined) spec[field] = drawn[field];
    }
    spec.containers = drawn.containers.filter((c) => c !== undefined);
    if (drawn.volumes) spec.volumes = drawn.volumes.map((v, i) => ({ ...v, name: `vol-${i}` }));
    const pod = structuredClone({
      metadata: drawn.annotations ? { annotations: drawn.annotations } : {},
      spec,
    }) as PodShape;
    if (drawn.windows) {
      const sc = pod.spec.securityContext as Obj | undefined;
      if (sc)
        for (const field of ['seccompProfile', 'appArmorProfile', 'seLinuxOptions', 'sysctls', 'runAsUser'])
          delete sc[field];
      for (const list of containerLists) {
        for (const item of (pod.spec[list] as Obj[] | undefined) ?? []) {
          const csc = item.securityContext as Obj | undefined;
          if (csc)
            for (const field of [
              'seccompProfile',
              'appArmorProfile',
              'seLinuxOptions',
              'capabilities',
              'privileged',
              'allowPrivilegeEscalation',
              'procMount',
              'runAsUser',
            ])
              delete csc[field];
        }
      }
      pod.spec.os = { name: 'windows' };
    }
    return pod;
  });
