import { certificateCoversHost, certificatePems, certificatesIn } from '../../certificates/x509.js';
import type { Resource } from '../../model/resource.js';
import type { EvalContext, Violation } from '../rules/types.js';
import type { CheckDefinition } from './types.js';
import { secretCertificateValues } from './k8s-tls-certificates.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Whether the served certificate names `host`: a wildcard host (`*.example.com`) needs that very
 * wildcard among the names; any other host is matched as OpenSSL's X509_check_host does.
 */
function covers(pem: string, dnsNames: readonly string[], host: string): boolean {
  if (host.startsWith('*.')) return dnsNames.some((name) => name.toLowerCase() === host.toLowerCase());
  try {
    return certificateCoversHost(pem, host);
  } catch {
    return false;
  }
}

const isTlsSecret = (source: string, kind: string): boolean => source === 'kubernetes' && kind === 'Secret';

/**
 * `k8s-ingress-certificate-hosts`: every host of an Ingress `tls` entry is named by the certificate
 * (the first of `tls.crt`) of the `kubernetes.io/tls` Secret it names, when that Secret is among the
 * run's inputs. Matching follows RFC 6125 as OpenSSL's X509_check_host does: subject alternative
 * names only (the CN is ignored, as browsers do), a wildcard covers exactly one label.
 */
export const k8sIngressCertificateHostsCheck: CheckDefinition = {
  name: 'k8s-ingress-certificate-hosts',
  description: "Ingress TLS hosts that the referenced Secret's certificate does not name",
  compile() {
    return {
      scope: 'resource',
      readsRun: true,
      evaluate(resource: Resource, ctx: EvalContext): Violation[] {
        const spec = resource.body.spec;
        const tls = isRecord(spec) && Array.isArray(spec.tls) ? spec.tls : [];
        if (tls.length === 0) return [];
        const secrets = new Map<string, Resource>();
        const candidates = ctx.resourcesOfKinds
          ? ctx.resourcesOfKinds(isTlsSecret)
          : ctx.resources.filter((r) => isTlsSecret(r.source, r.kind));
        for (const secret of candidates)
          if (
            (secret.namespace ?? 'default') === (resource.namespace ?? 'default') &&
            secret.body.type === 'kubernetes.io/tls'
          )
            secrets.set(secret.name, secret);
        const out: Violation[] = [];
        tls.forEach((entry: unknown, index: number) => {
          if (!isRecord(entry) || typeof entry.secretName !== 'string' || !Array.isArray(entry.hosts)) return;
          const secret = secrets.get(entry.secretName);
          if (!secret) return;
          const [served] = secretCertificateValues(secret, ['tls.crt']);
          const leaf = served ? certificatePems(served.value)[0] : undefined;
          const facts = served ? certificatesIn(served.value)[0] : undefined;
          if (leaf === undefined || !facts?.readable) return;
          const dnsNames = facts.dnsNames ?? [];
          entry.hosts.forEach((host: unknown, hostIndex: number) => {
            if (typeof host !== 'string' || host === '' || covers(leaf, dnsNames, host)) return;
            out.push({
              path: `/spec/tls/${index}/hosts/${hostIndex}`,
              values: { host, secret: entry.secretName },
              details: { host, secret: entry.secretName },
            });
          });
        });
        return out;
      },
    };
  },
};
