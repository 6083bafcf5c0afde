import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapePointerToken } from '../../src/engine/pointer.js';
import { parseInput } from '../../src/inputs/load.js';
import { parseYamlFast } from '../../src/inputs/yaml-fast.js';
import { repoPath } from '../helpers.js';

/** Every JSON pointer inside a value, and a missing one below each collection. */
function pointersOf(value: unknown, prefix = '', out: string[] = []): string[] {
  out.push(prefix);
  if (Array.isArray(value)) {
    value.forEach((item, index) => pointersOf(item, `${prefix}/${index}`, out));
    out.push(`${prefix}/${value.length}`);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value))
      pointersOf(item, `${prefix}/${escapePointerToken(key)}`, out);
    out.push(`${prefix}/missing~1key`);
  }
  return out;
}

/** Resources and the line of every field, as a report would show them. */
function linesOf(file: string, text: string): Array<[string, string, number | undefined]> {
  return parseInput(file, text).resources.flatMap((resource) =>
    pointersOf(resource.body).map(
      (pointer) => [resource.id, pointer, resource.lineOf?.(pointer)] as [string, string, number | undefined],
    ),
  );
}

const list = `apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      annotations:
        a/b: "1"
    spec:
      template:
        spec:
          containers:
            - name: web
              image: nginx:1.27
              ports: [{ containerPort: 80 }]
  - apiVersion: v1
    kind: ConfigMap
    metadata: { name: settings }
    data:
      "10": ten
      key: value
---
apiVersion: v1
kind: Pod
metadata:
  name: solo
spec:
  containers:
    - name: app
      image: busybox
`;

describe('Kubernetes resources from YAML', () => {
  // A tab in a comment sends the same text through the `yaml` package instead of the fast path.
  const viaYamlPackage = (text: string) => `${text}# \tfull parser\n`;

  it('give every field the same line on the fast path as through the yaml package', () => {
    expect(parseYamlFast(list)).toBeDefined();
    expect(parseYamlFast(viaYamlPackage(list))).toBeUndefined();
    const fast = linesOf('list.yaml', list);
    expect(fast.length).toBeGreaterThan(50);
    expect(fast).toEqual(linesOf('list.yaml', viaYamlPackage(list)));
    expect(fast).toContainEqual(['Deployment/web', '/spec/template/spec/containers/0/image', 15]);
    expect(fast).toContainEqual(['ConfigMap/settings', '/data/key', 22]);
    expect(fast).toContainEqual(['Pod/solo', '/spec/containers/0/image', 31]);
  });

  it.each(readdirSync(repoPath('fixtures/kubernetes')).filter((name) => name.endsWith('.yaml')))(
    'give the same lines on both paths for fixtures/kubernetes/%s',
    (name) => {
      const file = path.join('fixtures/kubernetes', name);
      const text = readFileSync(repoPath(file), 'utf8');
      expect(parseYamlFast(text)).toBeDefined();
      expect(linesOf(file, text)).toEqual(linesOf(file, viaYamlPackage(text)));
    },
  );

  it.each(['constructor', 'toString', 'hasOwnProperty'])(
    'treat kind %s as no workload (an Object.prototype name is no pod template path)',
    (kind) => {
      const text = `apiVersion: v1\nkind: ${kind}\nmetadata: {name: x}\nspec:\n  containers:\n    - name: a\n      image: nginx\n`;
      const [resource] = parseInput('odd.yaml', text).resources;
      expect(resource).toMatchObject({ id: `${kind}/x`, facts: {} });
      expect(resource!.facts).toEqual({});
    },
  );

  it('derive workload facts with the pointers of each kind', () => {
    const text = `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, labels: {team: data, tier: null}}
spec:
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: nightly, replicas: 2}}
        spec:
          initContainers: [{name: init, image: busybox}]
          containers:
            - name: main
              image: app:1
            - image: side:1
`;
    const [resource] = parseInput('cron.yaml', text).resources;
    const body = resource!.body as { spec: { jobTemplate: { spec: { template: { spec: unknown } } } } };
    const spec = body.spec.jobTemplate.spec.template.spec;
    expect(resource!.labels).toEqual({ team: 'data' });
    expect(Object.keys(resource!.facts)).toEqual([
      'podSpec',
      'podSpecPath',
      'podMetadata',
      'podMetadataPath',
      'podLabels',
      'containers',
    ]);
    expect(resource!.facts).toMatchObject({
      podSpec: spec,
      podSpecPath: '/spec/jobTemplate/spec/template/spec',
      podMetadataPath: '/spec/jobTemplate/spec/template/metadata',
      podLabels: { app: 'nightly', replicas: '2' },
    });
    expect(
      resource!.facts.containers!.map(({ list, index, name, path }) => ({ list, index, name, path })),
    ).toEqual([
      {
        list: 'containers',
        index: 0,
        name: 'main',
        path: '/spec/jobTemplate/spec/template/spec/containers/0',
      },
      {
        list: 'containers',
        index: 1,
        name: 'containers[1]',
        path: '/spec/jobTemplate/spec/template/spec/containers/1',
      },
      {
        list: 'initContainers',
        index: 0,
        name: 'init',
        path: '/spec/jobTemplate/spec/template/spec/initContainers/0',
      },
    ]);
    expect(resource!.lineOf!('/spec/jobTemplate/spec/template/spec/containers/1/image')).toBe(14);
  });
});
