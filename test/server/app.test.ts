import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { loadPolicies } from '../../src/policies/load.js';
import { defaultSettings } from '../../src/model/settings.js';
import type { Result } from '../../src/model/result.js';
import {
  buildServer,
  closeGracefully,
  type BuildServerOptions,
  type WebhookServer,
} from '../../src/server/app.js';
import { applyMutation } from '../../src/server/mutation.js';
import { repoPath } from '../helpers.js';

const fixturePolicies = repoPath('fixtures/admission/policies');

function review(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(repoPath('fixtures/admission/reviews', name), 'utf8')) as Record<
    string,
    unknown
  >;
}

function requestOf(body: Record<string, unknown>): Record<string, unknown> {
  return body.request as Record<string, unknown>;
}

/** A log stream that keeps every JSON line fastify writes. */
function captureLog() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream, decisions: () => lines.filter((line) => line.event === 'admission') };
}

let engine: Engine;
const servers: WebhookServer[] = [];

beforeAll(async () => {
  const policies = await loadPolicies({ paths: [fixturePolicies], builtin: false });
  engine = await createEngine(policies, defaultSettings());
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function server(options: BuildServerOptions = {}, withEngine: Engine | Promise<Engine> = engine) {
  const log = captureLog();
  const app = buildServer(withEngine, { logger: { level: 'info', stream: log.stream }, ...options });
  servers.push(app);
  return { app, log };
}

async function post(app: WebhookServer, route: string, body: unknown) {
  const response = await app.inject({ method: 'POST', url: route, payload: body as Record<string, unknown> });
  return { status: response.statusCode, body: response.json() as Record<string, unknown> };
}

function responseOf(body: Record<string, unknown>) {
  return body.response as {
    uid: string;
    allowed: boolean;
    status?: { code: number; message: string; reason: string };
    warnings?: string[];
    patch?: string;
    patchType?: string;
  };
}

describe('POST /validate', () => {
  it('denies a privileged pod with HTTP 200, status 403 and a message naming each failing policy and its fix', async () => {
    const { app, log } = server();
    const input = review('pod-privileged-create.v1.json');
    const { status, body } = await post(app, '/validate', input);
    expect(status).toBe(200);
    expect(body.apiVersion).toBe('admission.k8s.io/v1');
    expect(body.kind).toBe('AdmissionReview');
    const response = responseOf(body);
    expect(response.uid).toBe(requestOf(input).uid);
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(403);
    expect(response.status?.reason).toBe('Forbidden');
    const message = response.status!.message;
    expect(message.startsWith('parapet denied Pod/payments/node-debugger: ')).toBe(true);
    expect(message).toContain(
      '[admission-no-privileged] Container "debug" of Pod/payments/node-debugger runs privileged (fix: Remove securityContext.privileged or set it to false.)',
    );
    expect(message).toContain('[admission-no-privilege-escalation]');
    expect(message).toContain('[admission-seccomp-runtime-default]');
    // Warn-mode findings ride along as warnings; audit-mode ones never reach the user.
    expect(response.warnings).toEqual([
      '[admission-pinned-image-tag] Container "debug" uses image busybox:latest without a pinned tag',
    ]);
    expect(message).not.toContain('admission-team-label');
    const [decision] = log.decisions();
    expect(decision).toMatchObject({
      uid: '5e4c2a2f-98a1-4f8e-b7c4-1d0f7b3c9a01',
      route: 'validate',
      operation: 'CREATE',
      kind: 'Pod',
      namespace: 'payments',
      name: 'node-debugger',
      user: 'alice@example.com',
      decision: 'denied',
      failing: [
        'admission-no-privilege-escalation',
        'admission-no-privileged',
        'admission-seccomp-runtime-default',
      ],
      warnings: ['admission-pinned-image-tag'],
      audit: ['admission-team-label'],
      dryRun: false,
    });
    expect(typeof decision!.durationMs).toBe('number');
    expect(log.decisions()).toHaveLength(1);
  });

  it('answers a v1beta1 review in v1beta1', async () => {
    const { app } = server();
    const { body } = await post(app, '/validate', review('pod-privileged-create.v1beta1.json'));
    expect(body.apiVersion).toBe('admission.k8s.io/v1beta1');
    expect(responseOf(body)).toMatchObject({ uid: '7d6c5b4a-3928-4172-8a6b-5c4d3e2f1a05', allowed: false });
    const update = await post(app, '/validate', review('deployment-checkout-update.v1beta1.json'));
    expect(update.body.apiVersion).toBe('admission.k8s.io/v1beta1');
    expect(responseOf(update.body)).toEqual({ uid: '7d8e9f0a-1b2c-4d3e-8f5a-6b7c8d9e0f11', allowed: true });
  });

  it('admits a hardened pod with no warnings', async () => {
    const { app } = server();
    const { body } = await post(app, '/validate', review('pod-hardened-create.v1.json'));
    expect(responseOf(body)).toEqual({ uid: '0b7e5c1d-3f2a-4c6b-8e9d-2a1b3c4d5e02', allowed: true });
  });

  it('admits a warn-mode violation with one short warning line', async () => {
    const { app, log } = server();
    const { body } = await post(app, '/validate', review('pod-latest-tag-create.v1.json'));
    const response = responseOf(body);
    expect(response.allowed).toBe(true);
    expect(response.warnings).toEqual([
      '[admission-pinned-image-tag] Container "worker" uses image registry.example.com/payments/worker:latest without a pinned tag',
    ]);
    expect(log.decisions()[0]).toMatchObject({
      decision: 'allowed',
      warnings: ['admission-pinned-image-tag'],
      failing: [],
    });
  });

  it('records audit-mode violations only in the decision log', async () => {
    const { app, log } = server();
    const { body } = await post(app, '/validate', review('pod-unlabelled-create.v1.json'));
    expect(responseOf(body)).toEqual({ uid: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e04', allowed: true });
    const [decision] = log.decisions();
    expect(decision).toMatchObject({ decision: 'allowed', audit: ['admission-team-label'] });
    expect(decision!.findings).toEqual([
      {
        policy: 'admission-team-label',
        status: 'audit',
        path: '/metadata/labels/team',
        message: 'Pod/payments/payments-api-canary has no team label',
      },
    ]);
  });

  it('skips kube-system and the webhook namespace, and configured users and groups', async () => {
    const { app, log } = server({
      settings: { namespace: 'parapet-system', excludeUsers: ['system:serviceaccount:kube-system:*'] },
    });
    const { body } = await post(app, '/validate', review('pod-privileged-kube-system.v1.json'));
    expect(responseOf(body)).toEqual({ uid: '2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a06', allowed: true });
    expect(log.decisions()[0]).toMatchObject({ decision: 'skipped', reason: 'excluded-namespace' });

    const own = review('pod-privileged-create.v1.json');
    Object.assign(requestOf(own), { namespace: 'parapet-system' });
    expect(responseOf((await post(app, '/validate', own)).body).allowed).toBe(true);

    const byGroup = server({ settings: { excludeGroups: ['platform-*'] } });
    expect(
      responseOf((await post(byGroup.app, '/validate', review('pod-privileged-create.v1.json'))).body)
        .allowed,
    ).toBe(true);
    expect(byGroup.log.decisions()[0]).toMatchObject({ decision: 'skipped', reason: 'excluded-group' });
  });

  it('allows DELETE and CONNECT without an object unless policies are configured for deletes', async () => {
    const { app } = server();
    expect(
      responseOf((await post(app, '/validate', review('pod-privileged-delete.v1.json'))).body).allowed,
    ).toBe(true);
    expect(responseOf((await post(app, '/validate', review('pod-exec-connect.v1.json'))).body)).toEqual({
      uid: '5b6c7d8e-9f0a-4b1c-8d3e-4f5a6b7c8d09',
      allowed: true,
    });
    const guarded = server({ settings: { deletePolicies: ['admission-no-privileged'] } });
    const response = responseOf(
      (await post(guarded.app, '/validate', review('pod-privileged-delete.v1.json'))).body,
    );
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toContain('[admission-no-privileged]');
    expect(response.status?.message).not.toContain('admission-seccomp-runtime-default');
  });

  it('evaluates dry runs like any request but keeps them out of the findings metric', async () => {
    const { app, log } = server();
    const response = responseOf(
      (await post(app, '/validate', review('pod-privileged-dry-run.v1.json'))).body,
    );
    expect(response.allowed).toBe(false);
    expect(log.decisions()[0]).toMatchObject({ dryRun: true, decision: 'denied' });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(
      'parapet_admission_requests_total{route="validate",operation="CREATE",kind="Pod",decision="denied"} 1',
    );
    expect(metrics).not.toMatch(/parapet_findings_total\{/);
  });
});

describe('bad requests', () => {
  it('answers malformed, truncated, incomplete and unknown-version bodies with HTTP 400 and a one-line reason', async () => {
    const { app } = server();
    const cases: Array<[string, string]> = [
      ['invalid/truncated.json', 'Body is not valid JSON'],
      ['invalid/no-request.json', 'invalid AdmissionReview: the AdmissionReview has no request'],
      [
        'invalid/unknown-version.json',
        'invalid AdmissionReview: unsupported apiVersion "admission.k8s.io/v2alpha1"',
      ],
    ];
    for (const [file, reason] of cases) {
      const payload = readFileSync(repoPath('fixtures/admission', file), 'utf8');
      const response = await app.inject({
        method: 'POST',
        url: '/validate',
        payload,
        headers: { 'content-type': 'application/json' },
      });
      expect(response.statusCode, file).toBe(400);
      const body = response.json() as { message: string; stack?: string };
      expect(body.message, file).toContain(reason);
      expect(body.message).not.toContain('\n');
      expect(body.stack).toBeUndefined();
    }
    const noUid = review('pod-hardened-create.v1.json');
    delete requestOf(noUid).uid;
    expect((await post(app, '/validate', noUid)).body.message).toBe(
      'invalid AdmissionReview: request.uid is missing',
    );
  });

  it('refuses bodies with prototype-poisoning keys, written out or escaped, and still parses clean ones', async () => {
    const { app } = server();
    const clean = JSON.stringify(review('pod-hardened-create.v1.json'));
    const poisoned = [
      clean.replace('"metadata":{', '"metadata":{"__proto__":{"polluted":true},'),
      clean.replace('"metadata":{', '"metadata":{"\\u005f_proto__":{"polluted":true},'),
      clean.replace('"metadata":{', '"metadata":{"constructor":{"prototype":{"polluted":true}},'),
    ];
    for (const payload of poisoned) {
      expect(payload).not.toBe(clean);
      const response = await app.inject({
        method: 'POST',
        url: '/validate',
        payload,
        headers: { 'content-type': 'application/json' },
      });
      expect(response.statusCode).toBe(400);
      expect((response.json() as { message: string }).message).toContain('Body is not valid JSON');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // A harmless escape and the word "constructor" in a value take the guarded parser and pass.
    const escaped = clean.replace(
      '"metadata":{',
      '"metadata":{"annotations":{"note":"caf\\u00e9 constructor"},',
    );
    const response = await app.inject({
      method: 'POST',
      url: '/validate',
      payload: escaped,
      headers: { 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(200);
    expect(responseOf(response.json()).uid).toBe(requestOf(review('pod-hardened-create.v1.json')).uid);
  });

  it('refuses oversized bodies with 413 and non-JSON bodies with 415', async () => {
    const { app } = server({ settings: { maxBodyBytes: 4096 } });
    const big = review('deployment-checkout-create.v1.json');
    const response = await app.inject({ method: 'POST', url: '/validate', payload: big });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ message: 'request body is larger than 4096 bytes' });
    const text = await app.inject({
      method: 'POST',
      url: '/validate',
      payload: 'kind: AdmissionReview',
      headers: { 'content-type': 'application/yaml' },
    });
    expect(text.statusCode).toBe(415);
  });

  it('denies a CREATE that carries no object', async () => {
    const { app } = server();
    const empty = review('pod-hardened-create.v1.json');
    delete requestOf(empty).object;
    const response = responseOf((await post(app, '/validate', empty)).body);
    expect(response).toMatchObject({
      allowed: false,
      status: { code: 400, message: 'parapet: CREATE request for Pod carries no object to evaluate' },
    });
  });
});

/** An engine whose evaluation takes `delayMs`, or throws. */
function slowEngine(delayMs: number, options: { throws?: boolean; onStart?: () => void } = {}): Engine {
  return {
    settings: defaultSettings(),
    policies: engine.policies,
    async evaluate(resources): Promise<Result> {
      options.onStart?.();
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (options.throws) throw new Error('registry lookup exploded');
      return engine.evaluate(resources);
    },
    session: () => {
      throw new Error('the webhook evaluates each review at once');
    },
  };
}

describe('evaluation budget and failures', () => {
  it('answers with the failure decision and a warning when evaluation exceeds its budget', async () => {
    const deny = server({ settings: { budgetMs: 30 } }, slowEngine(2000));
    const started = Date.now();
    const denied = responseOf(
      (await post(deny.app, '/validate', review('pod-hardened-create.v1.json'))).body,
    );
    expect(Date.now() - started).toBeLessThan(1500);
    expect(denied.allowed).toBe(false);
    expect(denied.warnings).toEqual([
      'parapet: evaluation exceeded its 30 ms budget; denied by the configured failure decision',
    ]);
    expect(deny.log.decisions()[0]).toMatchObject({ reason: 'budget-exceeded', decision: 'denied' });
    expect((await deny.app.inject({ method: 'GET', url: '/metrics' })).body).toContain(
      'parapet_evaluation_budget_exceeded_total{route="validate"} 1',
    );

    const allow = server({ settings: { budgetMs: 30, failureDecision: 'allow' } }, slowEngine(2000));
    const allowed = responseOf(
      (await post(allow.app, '/validate', review('pod-privileged-create.v1.json'))).body,
    );
    expect(allowed.allowed).toBe(true);
    expect(allowed.warnings?.[0]).toContain('allowed by the configured failure decision');
  });

  it('turns an evaluation that throws into the failure decision, never a 500', async () => {
    const { app, log } = server({ settings: { failureDecision: 'allow' } }, slowEngine(0, { throws: true }));
    const { status, body } = await post(app, '/validate', review('pod-hardened-create.v1.json'));
    expect(status).toBe(200);
    expect(responseOf(body)).toMatchObject({
      allowed: true,
      warnings: ['parapet: registry lookup exploded; allowed by the configured failure decision'],
    });
    expect(log.decisions()[0]).toMatchObject({ reason: 'evaluation-error' });
  });
});

describe('health, readiness and metrics', () => {
  it('is healthy at once and ready only once the policies are compiled', async () => {
    let resolve!: (value: Engine) => void;
    const pending = new Promise<Engine>((r) => (resolve = r));
    const { app } = server({}, pending);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const notReady = await app.inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ status: 'starting' });
    expect((await post(app, '/validate', review('pod-hardened-create.v1.json'))).status).toBe(503);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(
      /^parapet_ready_processes 0$/m,
    );
    resolve(engine);
    await app.engineReady;
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json()).toEqual({ status: 'ready', policies: 5 });
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(
      /^parapet_ready_processes 1$/m,
    );
  });

  it('reports a failed compilation on /readyz', async () => {
    const { app } = server(
      {},
      Promise.reject(new Error('policies/broken.yaml: rule.schema.assert: schema is invalid')),
    );
    await expect(app.engineReady).rejects.toThrow('schema is invalid');
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      status: 'failed',
      error: 'policies/broken.yaml: rule.schema.assert: schema is invalid',
    });
  });

  it('exposes request counts, latency histograms, evaluation time and findings by policy', async () => {
    const { app } = server();
    await post(app, '/validate', review('pod-privileged-create.v1.json'));
    await post(app, '/validate', review('pod-hardened-create.v1.json'));
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.headers['content-type']).toContain('text/plain');
    const text = response.body;
    expect(text).toContain(
      'parapet_admission_requests_total{route="validate",operation="CREATE",kind="Pod",decision="denied"} 1',
    );
    expect(text).toContain(
      'parapet_admission_requests_total{route="validate",operation="CREATE",kind="Pod",decision="allowed"} 1',
    );
    expect(text).toMatch(
      /parapet_admission_request_duration_seconds_bucket\{le="0.005",route="validate",operation="CREATE",kind="Pod",decision="allowed"\} [01]/,
    );
    expect(text).toContain(
      'parapet_admission_request_duration_seconds_count{route="validate",operation="CREATE",kind="Pod",decision="denied"} 1',
    );
    expect(text).toContain('parapet_policy_evaluation_duration_seconds_count{route="validate"} 2');
    expect(text).toContain(
      'parapet_findings_total{policy="admission-no-privilege-escalation",status="fail"} 2',
    );
    expect(text).toContain('parapet_findings_total{policy="admission-team-label",status="audit"} 1');
  });
});

describe('metrics from elsewhere (serve --workers)', () => {
  it('serves the text of the metrics source, and 503 with the reason when it fails', async () => {
    let fail = false;
    const { app, log } = server({
      metricsSource: (registry) => async () => {
        if (fail) throw new Error('the primary did not answer a metrics request within 5000 ms');
        return `# summed over workers\n${await registry.metrics()}`;
      },
    });
    await app.engineReady;
    const ok = await app.inject({ method: 'GET', url: '/metrics' });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toMatch(/^# summed over workers\n/);
    expect(ok.body).toMatch(/^parapet_ready_processes 1$/m);
    fail = true;
    const failed = await app.inject({ method: 'GET', url: '/metrics' });
    expect(failed.statusCode).toBe(503);
    expect(failed.json()).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'metrics unavailable: the primary did not answer a metrics request within 5000 ms',
    });
    expect(log.lines.some((l) => l.event === 'metrics-unavailable')).toBe(true);
  });
});

describe('POST /mutate', () => {
  it('returns the fixes of mutating policies as a base64 JSONPatch, and the patched pod then passes them', async () => {
    const { app, log } = server({ settings: { mutate: ['admission-no-priv*', 'admission-seccomp-*'] } });
    const input = review('pod-privileged-create.v1.json');
    const { body } = await post(app, '/mutate', input);
    const response = responseOf(body);
    expect(response.allowed).toBe(true);
    expect(response.patchType).toBe('JSONPatch');
    const patch = JSON.parse(Buffer.from(response.patch!, 'base64').toString('utf8')) as Array<
      Record<string, unknown>
    >;
    expect(patch).toEqual([
      { op: 'add', path: '/spec/containers/0/securityContext', value: {} },
      { op: 'add', path: '/spec/containers/0/securityContext/allowPrivilegeEscalation', value: false },
      { op: 'add', path: '/spec/containers/0/securityContext/capabilities', value: {} },
      { op: 'add', path: '/spec/containers/0/securityContext/capabilities/drop', value: ['ALL'] },
      { op: 'add', path: '/spec/containers/1/securityContext/allowPrivilegeEscalation', value: false },
      { op: 'add', path: '/spec/containers/1/securityContext/capabilities', value: {} },
      { op: 'add', path: '/spec/containers/1/securityContext/capabilities/drop', value: ['ALL'] },
      { op: 'replace', path: '/spec/containers/1/securityContext/privileged', value: false },
      { op: 'add', path: '/spec/securityContext/seccompProfile', value: { type: 'RuntimeDefault' } },
    ]);
    expect(log.decisions()[0]).toMatchObject({
      route: 'mutate',
      patched: [
        'admission-no-privilege-escalation',
        'admission-no-privileged',
        'admission-seccomp-runtime-default',
      ],
    });

    const mutated = applyMutation(requestOf(input).object as Record<string, unknown>, patch as never);
    const again = review('pod-privileged-create.v1.json');
    requestOf(again).object = mutated;
    const validated = responseOf((await post(app, '/validate', again)).body);
    // Every enforced policy had a fix: the mutated pod is admitted, with the warn-mode warning left.
    expect(validated.allowed).toBe(true);
    expect(validated.warnings).toEqual([
      '[admission-pinned-image-tag] Container "debug" uses image busybox:latest without a pinned tag',
    ]);
  });

  it('leaves out the fix of a policy the patched object would still fail, and applies the others', async () => {
    // The built-in run-as-non-root fix sets runAsNonRoot at pod level; a sidecar that overrides it
    // to false still fails the policy after that patch, so the fix is left out.
    const loaded = await loadPolicies({ paths: [], builtin: true });
    const builtin = await createEngine(loaded, defaultSettings());
    const { app, log } = server(
      {
        settings: {
          mutate: [
            'pss-restricted-run-as-non-root',
            'pss-restricted-seccomp',
            'pss-restricted-privilege-escalation',
            'pss-restricted-capabilities',
          ],
        },
      },
      builtin,
    );
    const input = review('deployment-root-sidecar-create.v1.json');
    const response = responseOf((await post(app, '/mutate', input)).body);
    expect(response.allowed).toBe(true);
    expect(response.patchType).toBe('JSONPatch');
    const patch = JSON.parse(Buffer.from(response.patch!, 'base64').toString('utf8')) as Array<
      Record<string, unknown>
    >;
    const containers = '/spec/template/spec/containers';
    expect(patch).toEqual([
      { op: 'add', path: `${containers}/0/securityContext/capabilities`, value: {} },
      { op: 'add', path: `${containers}/0/securityContext/capabilities/drop`, value: ['ALL'] },
      { op: 'add', path: `${containers}/1/securityContext/capabilities`, value: {} },
      { op: 'add', path: `${containers}/1/securityContext/capabilities/drop`, value: ['ALL'] },
      { op: 'add', path: `${containers}/0/securityContext/allowPrivilegeEscalation`, value: false },
      { op: 'add', path: `${containers}/1/securityContext/allowPrivilegeEscalation`, value: false },
      { op: 'add', path: '/spec/template/spec/securityContext', value: {} },
      {
        op: 'add',
        path: '/spec/template/spec/securityContext/seccompProfile',
        value: { type: 'RuntimeDefault' },
      },
    ]);
    expect(response.warnings).toEqual([
      'parapet left out the fix of pss-restricted-run-as-non-root: Deployment/shop/orders would still fail it',
      'parapet mutated Deployment/shop/orders: applied the fix of pss-restricted-capabilities',
      'parapet mutated Deployment/shop/orders: applied the fix of pss-restricted-privilege-escalation',
      'parapet mutated Deployment/shop/orders: applied the fix of pss-restricted-seccomp',
    ]);
    expect(log.decisions()[0]).toMatchObject({
      route: 'mutate',
      decision: 'allowed',
      patched: [
        'pss-restricted-capabilities',
        'pss-restricted-privilege-escalation',
        'pss-restricted-seccomp',
      ],
      unpatched: ['pss-restricted-run-as-non-root'],
    });

    // The patched Deployment passes every policy whose fix was applied, and still fails the other.
    const again = review('deployment-root-sidecar-create.v1.json');
    requestOf(again).object = applyMutation(
      requestOf(input).object as Record<string, unknown>,
      patch as never,
    );
    const validated = responseOf((await post(app, '/validate', again)).body);
    expect(validated.allowed).toBe(false);
    const denied = [...validated.status!.message.matchAll(/\[([a-z0-9-]+)\]/g)].map((m) => m[1]);
    expect(denied).toContain('pss-restricted-run-as-non-root');
    for (const id of [
      'pss-restricted-capabilities',
      'pss-restricted-privilege-escalation',
      'pss-restricted-seccomp',
    ])
      expect(denied).not.toContain(id);
  });

  it('never patches when no policy is configured to mutate, and never denies', async () => {
    const { app } = server();
    const response = responseOf((await post(app, '/mutate', review('pod-privileged-create.v1.json'))).body);
    expect(response).toEqual({ uid: '5e4c2a2f-98a1-4f8e-b7c4-1d0f7b3c9a01', allowed: true });
  });
});

describe('graceful shutdown', () => {
  it('finishes in-flight requests before closing', async () => {
    let started!: () => void;
    const evaluating = new Promise<void>((resolve) => (started = resolve));
    const { app } = server({}, slowEngine(300, { onStart: () => started() }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address() as { port: number };
    const inFlight = fetch(`http://127.0.0.1:${address.port}/validate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(review('pod-hardened-create.v1.json')),
    });
    await evaluating;
    await closeGracefully(app, 5000);
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { response: { allowed: boolean } }).response.allowed).toBe(true);
  });
});
