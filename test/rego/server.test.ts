import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { defaultSettings } from '../../src/model/settings.js';
import { loadPolicies } from '../../src/policies/load.js';
import { buildServer, type WebhookServer } from '../../src/server/app.js';

let engine: Engine;
let app: WebhookServer;

beforeAll(async () => {
  const policies = await loadPolicies({
    builtin: false,
    paths: ['fixtures/rego/gatekeeper', 'fixtures/rego/conftest-kubernetes/policy'],
  });
  engine = await createEngine(policies, defaultSettings());
  app = buildServer(engine, { logger: false });
});

afterAll(async () => {
  await app.close();
});

describe('Rego policies in `parapet serve`', () => {
  it('deny with the Gatekeeper and Conftest messages, and warn for warn-mode constraints', async () => {
    const review = JSON.parse(
      readFileSync('fixtures/rego/gatekeeper/reviews/deployment-ledger-create.v1.json', 'utf8'),
    ) as Record<string, unknown>;
    const response = await app.inject({ method: 'POST', url: '/validate', payload: review });
    expect(response.statusCode).toBe(200);
    const answer = (
      response.json() as {
        response: { uid: string; allowed: boolean; status?: { message: string }; warnings?: string[] };
      }
    ).response;
    expect(answer.uid).toBe('0b7d3c1e-2f4a-4c59-9d61-7a3e5b2c8f10');
    expect(answer.allowed).toBe(false);
    expect(answer.status?.message).toContain(
      '[k8srequiredlabels.must-have-owner] Deployment/ledger must carry the labels ["owner"]',
    );
    expect(answer.status?.message).toContain(
      '[conftest.main.deny-missing-labels] Deployment/ledger is missing the required label app.kubernetes.io/name',
    );
    expect(answer.warnings).toEqual(
      expect.arrayContaining([
        '[k8sallowedrepos.registry-example-com-only] container <db> has an invalid image repo <docker.io/library/postgres:16.4>, allowed repos are ["registry.example.com/", "mirror.gcr.io/library/"]',
      ]),
    );
    // The same object through `check` gets the same Rego verdicts: parity between CI and admission.
    const { admissionReviewInput } = await import('../../src/inputs/admission-review.js');
    const { resources } = admissionReviewInput.fromJson!(review, {
      file: 'review.json',
      text: JSON.stringify(review),
    });
    const result = await engine.evaluate(resources);
    const failing = result.findings
      .filter((finding) => finding.status === 'fail')
      .map((finding) => finding.policyId);
    expect(failing).toContain('k8srequiredlabels.must-have-owner');
    expect(failing).toContain('conftest.main.deny-missing-labels');
  });
});
