import { describe, expect, it } from 'vitest';
import { parseInput } from '../../src/inputs/load.js';
import { runCli, repoPath } from '../helpers.js';
import { readFileSync } from 'node:fs';

describe('AdmissionReview files as inputs', () => {
  it('turns the object under review into the Kubernetes resource, with admission facts and lines', () => {
    const file = 'fixtures/admission/reviews/pod-privileged-create.v1.json';
    const { resources, notices } = parseInput(file, readFileSync(repoPath(file), 'utf8'));
    expect(notices).toEqual([]);
    expect(resources).toHaveLength(1);
    const [pod] = resources;
    expect(pod).toMatchObject({
      source: 'kubernetes',
      kind: 'Pod',
      id: 'Pod/payments/node-debugger',
      namespace: 'payments',
    });
    expect(pod!.facts.admission).toMatchObject({
      operation: 'CREATE',
      dryRun: false,
      userInfo: { username: 'alice@example.com' },
    });
    expect(pod!.facts.containers?.map((c) => c.path)).toEqual(['/spec/containers/0', '/spec/containers/1']);
    // Lines point into the review file: the privileged flag of the second container.
    const text = readFileSync(repoPath(file), 'utf8').split('\n');
    const line = pod!.lineOf!('/spec/containers/1/securityContext/privileged')!;
    expect(text[line - 1]).toContain('"privileged": true');
  });

  it('judges the oldObject of a DELETE and reports a review without an object as a notice', () => {
    const file = 'fixtures/admission/reviews/pod-privileged-delete.v1.json';
    const deleted = parseInput(file, readFileSync(repoPath(file), 'utf8'));
    expect(deleted.resources[0]?.facts.admission).toMatchObject({ operation: 'DELETE' });
    const connect = 'fixtures/admission/reviews/pod-exec-connect.v1.json';
    expect(parseInput(connect, readFileSync(repoPath(connect), 'utf8')).resources[0]?.kind).toBe(
      'PodExecOptions',
    );
    const empty = parseInput(
      'fixtures/admission/invalid/no-request.json',
      readFileSync(repoPath('fixtures/admission/invalid/no-request.json'), 'utf8'),
    );
    expect(empty.resources).toEqual([]);
    expect(empty.notices).toEqual([
      {
        level: 'warning',
        code: 'admission-no-request',
        file: 'fixtures/admission/invalid/no-request.json',
        message:
          'fixtures/admission/invalid/no-request.json: AdmissionReview has no request with a kind; nothing to evaluate',
      },
    ]);
  });

  it('fills the namespace from the request when the object omits it', () => {
    const review = JSON.parse(
      readFileSync(repoPath('fixtures/admission/reviews/pod-hardened-create.v1.json'), 'utf8'),
    ) as {
      request: { object: { metadata: Record<string, unknown> } };
    };
    delete review.request.object.metadata.namespace;
    const { resources } = parseInput('review.json', JSON.stringify(review));
    expect(resources[0]?.id).toBe('Pod/payments/payments-api');
  });

  it('gives `parapet check` the verdict of the review', async () => {
    const denied = await runCli([
      'check',
      '--no-builtin',
      '--policies',
      'fixtures/admission/policies',
      'fixtures/admission/reviews/pod-privileged-create.v1.json',
    ]);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toContain('admission-no-privileged');
    const admitted = await runCli([
      'check',
      '--no-builtin',
      '--policies',
      'fixtures/admission/policies',
      'fixtures/admission/reviews/pod-hardened-create.v1.json',
    ]);
    expect(admitted.code).toBe(0);
  });
});
