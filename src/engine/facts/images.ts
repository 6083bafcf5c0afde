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
 * reports, and registry metadata and signatures when registry lookups are on.
 */
export const imagesFactProvider: FactProvider = {
  name: 'images',
  async provide(resources, ctx) {
    const settings = imageSettingsFrom(ctx.settings.domains.images);
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
    // Without lookups or reports there is nothing to attach: skip the pass over every resource.
    if (!settings.registry && settings.vulnerabilityReports.length === 0) return derived;
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
      const failed = new Map<string, string>();
      for (const resource of images) {
        const facts = imageFactsOf(resource);
        if (facts?.lookup.status === 'unavailable' && facts.reference)
          failed.set(facts.reference, facts.lookup.reason ?? 'unknown reason');
      }
      for (const [reference, reason] of [...failed].sort()) {
        ctx.notices.push({
          level: 'warning',
          code: 'image-metadata-unavailable',
          message: `registry metadata for ${reference} unavailable: ${reason}`,
        });
      }
    }

    if (settings.vulnerabilityReports.length > 0) {
      const reports = settings.vulnerabilityReports.map(cachedVulnerabilityReport);
      for (const resource of images)
        if (!imageFactsOf(resource)?.vulnerabilities) attachVulnerabilities(resource, reports);
      const unmatched = reports.filter(
        (report) =>
          !images.some((resource) => imageFactsOf(resource)?.vulnerabilities?.reports.includes(report.file)),
      );
      for (const report of unmatched) {
        ctx.notices.push({
          level: 'warning',
          code: 'vulnerability-report-unmatched',
          message: `${report.file}: no image in the input matches this ${report.scanner} report (${report.artifact || report.digests[0] || 'unnamed'})`,
          file: report.file,
        });
      }
    }
    return derived;
  },
};
