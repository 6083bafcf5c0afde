import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  clusterApiCalls,
  guessResource,
  mockedApiCalls,
  readApiCallMocks,
} from '../../src/kyverno/api-calls.js';
import { repoPath, runCli } from '../helpers.js';

const dir = repoPath('fixtures', 'kyverno', 'api-call');

function clusterObjects(): Array<Record<string, unknown>> {
  const cluster = parseAllDocuments(readFileSync(`${dir}/cluster.yaml`, 'utf8'))[0]!.toJS() as {
    spec: { resources: Array<Record<string, unknown>> };
  };
  const resources = parseAllDocuments(readFileSync(`${dir}/resources.yaml`, 'utf8')).map(
    (doc) => doc.toJS() as Record<string, unknown>,
  );
  return [...cluster.spec.resources, ...resources];
}

describe('apiCall answers from a test cluster', () => {
  const resolve = clusterApiCalls(clusterObjects());

  it('guesses resource names as Kubernetes does', () => {
    expect(['Pod', 'Ingress', 'NetworkPolicy', 'ResourceQuota'].map(guessResource)).toEqual([
      'pods',
      'ingresses',
      'networkpolicies',
      'resourcequotas',
    ]);
  });

  it('lists a namespace, gets one object, and reports a missing one as Kyverno words it', () => {
    const list = resolve({ urlPath: '/api/v1/namespaces/payments/resourcequotas', method: 'GET' }) as {
      body: { kind: string; items: Array<{ metadata: { name: string } }> };
    };
    expect(list.body.kind).toBe('ResourceQuotaList');
    expect(list.body.items.map((item) => item.metadata.name)).toEqual(['compute']);
    expect(resolve({ urlPath: '/api/v1/namespaces/sandbox/resourcequotas', method: 'GET' })).toMatchObject({
      body: { items: [] },
    });
    expect(
      resolve({ urlPath: '/apis/apps/v1/namespaces/payments/deployments/checkout', method: 'GET' }),
    ).toMatchObject({ body: { kind: 'Deployment', metadata: { name: 'checkout' } } });
    expect(resolve({ urlPath: '/apis/apps/v1/namespaces/payments/deployments/web', method: 'GET' })).toEqual({
      error:
        'failed to GET resource with raw url: /apis/apps/v1/namespaces/payments/deployments/web: deployments.apps "web" not found',
      defaultApplies: true,
    });
  });

  it('takes resource names from the CRDs it holds', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'computeclasses.cloud.google.com' },
      spec: {
        group: 'cloud.google.com',
        names: { kind: 'ComputeClass', plural: 'computeclasses' },
        versions: [{ name: 'v1', served: true, storage: true }],
      },
    };
    const spot = { apiVersion: 'cloud.google.com/v1', kind: 'ComputeClass', metadata: { name: 'spot' } };
    const answer = clusterApiCalls([crd, spot])({
      urlPath: '/apis/cloud.google.com/v1/computeclasses/spot',
      method: 'GET',
    });
    expect(answer).toEqual({ body: spot });
  });

  it('refuses POST, which the test cluster cannot serve', () => {
    expect(resolve({ urlPath: '/api/v1/namespaces', method: 'POST' })).toMatchObject({
      defaultApplies: true,
    });
  });
});

describe('apiCallResponses mocks', () => {
  it('answers by method and URL first, then by URL, then falls back', () => {
    const mocks = readApiCallMocks([
      { url: 'https://svc.example/check', response: { body: { allowed: true } } },
      { url: 'https://svc.example/check', method: 'post', response: { body: { allowed: false } } },
      { urlPath: '/api/v1/namespaces', response: { statusCode: 503, body: { message: 'down' } } },
    ]);
    const resolve = mockedApiCalls(mocks, () => ({ body: 'fallback' }));
    expect(resolve({ url: 'https://svc.example/check', method: 'GET' })).toEqual({ body: { allowed: true } });
    expect(resolve({ url: 'https://svc.example/check', method: 'POST' })).toEqual({
      body: { allowed: false },
    });
    expect(resolve({ urlPath: '/api/v1/namespaces', method: 'GET' })).toEqual({
      error: 'HTTP 503 from apiCall mock (v1 apiCall treats non-2xx as failure)',
      defaultApplies: false,
    });
    expect(resolve({ url: 'https://other.example/', method: 'GET' })).toEqual({ body: 'fallback' });
  });

  it.each([
    [[{ response: { body: {} } }], 'apiCallResponses[0]: either url or urlPath is required'],
    [
      [{ url: 'https://a', urlPath: '/b', response: { body: {} } }],
      'apiCallResponses[0]: url and urlPath are mutually exclusive',
    ],
    [
      [{ url: 'ftp://a/b', response: { body: {} } }],
      'apiCallResponses[0]: url "ftp://a/b" must be an absolute https/http URL',
    ],
    [
      [{ urlPath: 'api/v1', response: { body: {} } }],
      'apiCallResponses[0]: urlPath "api/v1" must be an absolute path starting with \'/\'',
    ],
    [
      [{ urlPath: '/api', method: 'PUT', response: { body: {} } }],
      'apiCallResponses[0]: method must be GET or POST',
    ],
    [
      [{ urlPath: '/api', response: { body: [1] } }],
      'apiCallResponses[0] "/api": response.body must be a JSON object',
    ],
    [
      [{ urlPath: '/api', response: { statusCode: 700, body: {} } }],
      'apiCallResponses[0] "/api": statusCode 700 must be between 100 and 599',
    ],
    [
      [
        { urlPath: '/api', response: { body: {} } },
        { urlPath: '/api', response: { body: {} } },
      ],
      'apiCallResponses: duplicate entry for "/api" (key "/api"): each method+url combination must be unique',
    ],
  ])('rejects a malformed entry: %j', (raw, message) => {
    expect(() => readApiCallMocks(raw)).toThrow(message);
  });
});

describe('kyverno test with apiCall context', () => {
  it('serves urlPath calls from clusterResources and service calls from apiCallResponses', async () => {
    const run = await runCli(['test', dir]);
    expect(run.stdout).toContain('4 passed, 0 failed');
    expect(run.code).toBe(0);
  });

  it('reports a malformed mock as a test error naming the file', async () => {
    const run = await runCli([
      'test',
      repoPath('fixtures', 'kyverno', 'api-call-invalid', 'kyverno-test.yaml'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'api-call-invalid/kyverno-test.yaml: apiCallResponses[0]: method must be GET or POST',
    );
  });
});
