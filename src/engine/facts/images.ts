import type { Resource } from '../../model/resource.js';
import {
  attachMetadata,
  attachVulnerabilities,
  imageFactsOf,
  imageResource,
  type ImageOrigin,
} from '../../images/image-resource.js';
import { sharedImageMetadataService } from '../../images/metadata-service.js';
import { tryParseImageReference } from '../../images/reference.js';
import { imageSettingsFrom } from '../../images/settings.js';
import { cachedVulnerabilityReport } from '../../images/vulnerabilities.js';
import type { FactProvider } from './types.js';

/**
 * Images: one image resource per container image of every Kubernetes workload (linked to its
 * workload and container), then, for those and for `--image`/report resources, vulnerability
 * reports, and registry metadata and signatures when registry lookups are on. Each image is
 * handled in the chunk that brings it (or its workload), whether the engine holds the workload back
 * or not; the notices about the whole run (lookups that failed, reports no image matched) come at
 * the end.
 */
export const imagesFactProvider: FactProvider = {
  name: 'images',
  start(ctx) {
    const settings = imageSettingsFrom(ctx.settings.domains.images);
    const reports = settings.vulnerabilityReports.map(cachedVulnerabilityReport);
    /** Reports some image matched, by file. */
    const matchedReports = new Set<string>();
    /** Failed lookups, by normalised reference. */
    const failed = new Map<string, string>();

    const provide = async (resources: Resource[]): Promise<Resource[]> => {
      const derived = imagesOfWorkloads(resources);
      // Without lookups or reports there is nothing to attach: skip the pass over every resource.
      if (!settings.registry && reports.length === 0) return derived;
      const images = resources
        .filter((resource) => resource.source === 'image' && imageFactsOf(resource))
        .concat(derived);
      if (images.length === 0) return derived;

      if (settings.registry) {
        const service = sharedImageMetadataService(settings);
        const pending = images.map(async (resource) => {
          const facts = imageFactsOf(resource);
          if (!facts?.valid || !facts.reference || facts.metadata) return;
          const parsed = tryParseImageReference(facts.original);
          if (!parsed.ok) return;
          const lookup = await service.lookup(parsed.reference);
          if (lookup.status === 'ok') {
            attachMetadata(resource, lookup.metadata, new Date());
            if (lookup.signature) facts.signature = lookup.signature;
          } else {
            facts.lookup = { status: 'unavailable', reason: lookup.reason };
          }
        });
        await Promise.all(pending);
        for (const resource of images) {
          const facts = imageFactsOf(resource);
          if (facts?.lookup.status === 'unavailable' && facts.reference && !failed.has(facts.reference))
            failed.set(facts.reference, facts.lookup.reason ?? 'unknown reason');
        }
      }

      if (reports.length > 0) {
        for (const resource of images) {
          const facts = imageFactsOf(resource);
          if (!facts) continue;
          if (!facts.vulnerabilities) attachVulnerabilities(resource, reports);
          for (const file of facts.vulnerabilities?.reports ?? []) matchedReports.add(file);
        }
      }
      return derived;
    };

    return {
      chunk: provide,
      finish() {
        for (const [reference, reason] of [...failed].sort()) {
          ctx.notices.push({
            level: 'warning',
            code: 'image-metadata-unavailable',
            message: `registry metadata for ${reference} unavailable: ${reason}`,
          });
        }
        for (const report of reports) {
          if (matchedReports.has(report.file)) continue;
          ctx.notices.push({
            level: 'warning',
            code: 'vulnerability-report-unmatched',
            message: `${report.file}: no image in the input matches this ${report.scanner} report (${report.artifact || report.digests[0] || 'unnamed'})`,
            file: report.file,
          });
        }
      },
    };
  },
};

/** The image resources of the containers of the Kubernetes workloads among `resources`. */
function imagesOfWorkloads(resources: Resource[]): Resource[] {
  const derived: Resource[] = [];
  for (const resource of resources) {
    if (resource.source !== 'kubernetes' || !Array.isArray(resource.facts.containers)) continue;
    const { namespace } = resource;
    // One workload record, shared by the images of all its containers.
    let workload: ImageOrigin['workload'];
    for (const container of resource.facts.containers) {
      const written = container.container.image;
      if (typeof written !== 'string') continue; // a missing image is the Kubernetes schema's concern
      const pointer = `${container.path}/image`;
      let line = resource.location.line;
      try {
        line = resource.lineOf?.(pointer) ?? line;
      } catch {
        // keep the workload's line
      }
      workload ??=
        namespace !== undefined
          ? { id: resource.id, kind: resource.kind, name: resource.name, namespace }
          : { id: resource.id, kind: resource.kind, name: resource.name };
      const origin: ImageOrigin = {
        location: { file: resource.location.file, line },
        labels: resource.facts.podLabels,
        workload,
        container: { name: container.name, list: container.list, path: container.path },
      };
      if (namespace !== undefined) origin.namespace = namespace;
      derived.push(imageResource(written, origin));
    }
  }
  return derived;
}
