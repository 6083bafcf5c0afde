/**
 * The labels of the cluster's Namespaces, for the namespaceSelectors of Gatekeeper Constraints and
 * Kyverno rules at admission. An AdmissionReview carries the object but not its Namespace, so the
 * server keeps a list-and-watch of Namespaces (as Gatekeeper's and Kyverno's caches do) and hands
 * each change to the evaluation threads as a whole snapshot.
 */
import type { KubernetesListObject, V1Namespace } from '@kubernetes/client-node';
import { loadKubeConfig, type ClusterOptions } from '../audit/kube-api.js';
import { ParapetError } from '../model/errors.js';

/** Namespace name and labels, as posted to the evaluation threads. */
export type NamespaceLabelEntries = Array<[string, Record<string, string>]>;

export interface NamespaceLabelWatch {
  /** The labels of namespace `name`, or undefined when the watch has not seen it. */
  lookup(name: string): Record<string, string> | undefined;
  /** Hears every snapshot after a change, at most one per `settleMs`. */
  subscribe(listener: (entries: NamespaceLabelEntries) => void): void;
  /** Namespaces known. */
  readonly size: number;
  /** The whole list as it stands. */
  entries(): NamespaceLabelEntries;
  stop(): Promise<void>;
}

export interface NamespaceLabelOptions extends ClusterOptions {
  /** Wait after a change before telling listeners, so that a burst becomes one snapshot (default 200). */
  settleMs?: number;
  /** Wait before listing again after the watch failed (default 5000). */
  retryMs?: number;
  /** Hears watch failures (each is retried). */
  onError?: (message: string) => void;
}

function labelsOf(namespace: V1Namespace): Record<string, string> {
  return { ...(namespace.metadata?.labels ?? {}) };
}

/**
 * Lists the cluster's Namespaces and keeps watching them. Resolves once the first list is in;
 * rejects with `PARAPET_CLUSTER` naming the problem when the first list fails (no kubeconfig, no
 * `list` right on namespaces).
 */
export async function watchNamespaceLabels(
  options: NamespaceLabelOptions = {},
): Promise<NamespaceLabelWatch> {
  const config = await loadKubeConfig(options);
  const { CoreV1Api, makeInformer } = await import('@kubernetes/client-node');
  const core = config.makeApiClient(CoreV1Api);
  const informer = makeInformer<V1Namespace>(
    config,
    '/api/v1/namespaces',
    () => core.listNamespace() as Promise<KubernetesListObject<V1Namespace>>,
  );
  const labels = new Map<string, Record<string, string>>();
  const listeners: Array<(entries: NamespaceLabelEntries) => void> = [];
  const settleMs = options.settleMs ?? 200;
  let pending: NodeJS.Timeout | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const entries = (): NamespaceLabelEntries => [...labels.entries()];
  const changed = () => {
    if (pending || listeners.length === 0) return;
    pending = setTimeout(() => {
      pending = undefined;
      const snapshot = entries();
      for (const listener of listeners) listener(snapshot);
    }, settleMs);
    pending.unref();
  };
  const put = (namespace: V1Namespace) => {
    const name = namespace.metadata?.name;
    if (!name) return;
    labels.set(name, labelsOf(namespace));
    changed();
  };
  informer.on('add', put);
  informer.on('update', put);
  informer.on('delete', (namespace) => {
    if (namespace.metadata?.name && labels.delete(namespace.metadata.name)) changed();
  });
  informer.on('error', (error: unknown) => {
    if (stopped) return;
    options.onError?.(
      `watching namespaces: ${describe(error)}; listing again in ${(options.retryMs ?? 5000) / 1000} s`,
    );
    retry = setTimeout(() => {
      retry = undefined;
      if (!stopped) informer.start().catch(() => undefined);
    }, options.retryMs ?? 5000);
    retry.unref();
  });

  try {
    await informer.start();
  } catch (error) {
    await informer.stop().catch(() => undefined);
    throw new ParapetError(
      'PARAPET_CLUSTER',
      `cannot list namespaces at ${config.getCurrentCluster()?.server ?? 'the cluster'}: ${describe(error)}`,
      {
        cause: error,
      },
    );
  }
  // The first list's objects arrive as `add` events; make sure the map has them all.
  for (const namespace of informer.list()) put(namespace);

  return {
    lookup: (name) => labels.get(name),
    subscribe(listener) {
      listeners.push(listener);
    },
    get size() {
      return labels.size;
    },
    entries,
    async stop() {
      stopped = true;
      if (pending) clearTimeout(pending);
      if (retry) clearTimeout(retry);
      await informer.stop().catch(() => undefined);
    },
  };
}

function describe(error: unknown): string {
  if (error && typeof error === 'object') {
    const { code, body, message } = error as { code?: number; body?: unknown; message?: string };
    if (typeof code === 'number') {
      const reason =
        body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string'
          ? (body as { message: string }).message
          : typeof body === 'string'
            ? body.slice(0, 200)
            : '';
      return `HTTP ${code}${reason ? `: ${reason}` : ''}`;
    }
    if (message) return message.split('\n')[0]!;
  }
  return String(error).split('\n')[0]!;
}
