/**
 * A small JSON client for the Kubernetes API. The kubeconfig (contexts, client certificates,
 * tokens, exec and auth-provider plugins, the in-cluster service account) is read by
 * @kubernetes/client-node; requests are plain HTTPS with the options it fills in, so paging,
 * server-side apply and deletes stay explicit and every failure becomes one coded line.
 */
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { ParapetError } from '../model/errors.js';

/** Where to find the cluster: a kubeconfig file and context, or the defaults kubectl uses. */
export interface ClusterOptions {
  /** A kubeconfig file; default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
  kubeconfig?: string;
  /** A context of the kubeconfig; default: its current context. */
  context?: string;
  /** Seconds before one request is abandoned (default 60). */
  timeoutSeconds?: number;
}

export interface KubeRequest {
  method?: 'GET' | 'PATCH' | 'DELETE' | 'POST' | 'PUT';
  /** The path with its query, e.g. `/api/v1/pods?limit=500`. */
  path: string;
  body?: unknown;
  contentType?: string;
}

/** The parts of an API error Status the callers act on. */
export class KubeApiError extends ParapetError {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super('PARAPET_CLUSTER', message);
  }
}

export interface KubeApi {
  /** The context's name, for reports and locations. */
  readonly context: string;
  /** The API server's URL. */
  readonly server: string;
  request<T = unknown>(req: KubeRequest): Promise<T>;
  /** Requests made so far (for the audit's summary and benchmark). */
  readonly requests: number;
}

const MAX_RESPONSE_BYTES = 512 * 1024 * 1024;

/** Reads the kubeconfig as kubectl does, with `options.context` made current. */
export async function loadKubeConfig(options: ClusterOptions = {}): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  try {
    if (options.kubeconfig !== undefined) config.loadFromFile(options.kubeconfig);
    else {
      config.loadFromDefault();
      // With nothing to read, the client falls back to an unauthenticated http://localhost:8080.
      const fallback = config.getCurrentCluster();
      if (
        fallback?.name === 'cluster' &&
        fallback.server === 'http://localhost:8080' &&
        !process.env.KUBECONFIG
      )
        throw new Error('no kubeconfig ($KUBECONFIG, ~/.kube/config) and no in-cluster service account');
    }
  } catch (error) {
    throw new ParapetError(
      'PARAPET_CLUSTER',
      `${options.kubeconfig ?? 'kubeconfig'}: cannot read the kubeconfig: ${firstLine(error)}`,
      { file: options.kubeconfig, cause: error },
    );
  }
  if (options.context !== undefined) {
    if (!config.getContextObject(options.context)) {
      const known = config.getContexts().map((c) => c.name);
      throw new ParapetError(
        'PARAPET_CLUSTER',
        `--context: no context "${options.context}" in the kubeconfig (known: ${known.join(', ') || 'none'})`,
      );
    }
    config.setCurrentContext(options.context);
  }
  return config;
}

/** Reads the kubeconfig as kubectl does and returns a client for its cluster. */
export async function connect(options: ClusterOptions = {}): Promise<KubeApi> {
  const config = await loadKubeConfig(options);
  const cluster = config.getCurrentCluster();
  if (!cluster?.server)
    throw new ParapetError(
      'PARAPET_CLUSTER',
      `${options.kubeconfig ?? 'kubeconfig'}: no cluster to talk to (no current context, no in-cluster service account)`,
    );
  const server = cluster.server.replace(/\/+$/, '');
  const base = new URL(server);
  const timeoutMs = (options.timeoutSeconds ?? 60) * 1000;
  let requests = 0;

  async function request<T>(req: KubeRequest): Promise<T> {
    const opts: RequestOptions = {
      method: req.method ?? 'GET',
      protocol: base.protocol,
      hostname: base.hostname.replace(/^\[|\]$/g, ''),
      port: base.port || (base.protocol === 'https:' ? 443 : 80),
      path: `${base.pathname.replace(/\/+$/, '')}${req.path}`,
      headers: { Accept: 'application/json' },
    };
    // Client certificates, bearer tokens and exec plugins.
    await config.applyToHTTPSOptions(opts);
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    if (payload) {
      opts.headers = {
        ...opts.headers,
        'Content-Type': req.contentType ?? 'application/json',
        'Content-Length': String(payload.length),
      };
    }
    requests += 1;
    const what = `${opts.method} ${server}${req.path}`;
    return new Promise<T>((resolve, reject) => {
      const send = base.protocol === 'http:' ? httpRequest : httpsRequest;
      const call = send(opts, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            call.destroy(new Error(`response larger than ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            body = undefined;
          }
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve(body as T);
            return;
          }
          const apiStatus = (body ?? {}) as { reason?: string; message?: string };
          reject(
            new KubeApiError(
              status,
              apiStatus.reason ?? '',
              `${what}: ${status} ${apiStatus.message ?? (text.slice(0, 200) || response.statusMessage || '')}`.trim(),
            ),
          );
        });
        response.on('error', (error) => reject(clusterError(what, error)));
      });
      call.setTimeout(timeoutMs, () => call.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
      call.on('error', (error) => reject(clusterError(what, error)));
      call.end(payload);
    });
  }

  return {
    context: config.getCurrentContext() || 'in-cluster',
    server,
    request,
    get requests() {
      return requests;
    },
  };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

function clusterError(what: string, error: unknown): ParapetError {
  return new ParapetError('PARAPET_CLUSTER', `${what}: ${firstLine(error)}`, { cause: error });
}
