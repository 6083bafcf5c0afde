import { ParapetError } from '../model/errors.js';
import type { Resource } from '../model/resource.js';
import { imageMetadataFromConfig, type ImageMetadata } from '../images/image-config.js';
import {
  attachMetadata,
  attachVulnerabilities,
  imageFactsOf,
  imageResource,
} from '../images/image-resource.js';
import { readOciLayout, type LocalImage } from '../images/oci-layout.js';
import { quote, tryParseImageReference } from '../images/reference.js';
import { parseVulnerabilityReport } from '../images/vulnerabilities.js';
import type { AdapterOutput, InputAdapter, JsonSource } from './types.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for a Trivy image report or a Grype report: JSON documents this adapter claims. */
function isScannerReport(value: unknown): boolean {
  if (!isRecord(value)) return false;
  if (
    'ArtifactName' in value &&
    'SchemaVersion' in value &&
    (value.ArtifactType === undefined || value.ArtifactType === 'container_image')
  )
    return true;
  return Array.isArray(value.matches) && isRecord(value.source) && value.source.type === 'image';
}

/** The image configuration a scanner report carries (Trivy `Metadata.ImageConfig`, Grype base64 `source.target.config`). */
function reportMetadata(value: Record<string, unknown>, where: string): ImageMetadata | undefined {
  let config: unknown;
  let configDigest = '';
  let size: number | undefined;
  let manifestDigest: string | undefined;
  if (isRecord(value.Metadata)) {
    config = value.Metadata.ImageConfig;
    configDigest = typeof value.Metadata.ImageID === 'string' ? value.Metadata.ImageID : '';
    if (typeof value.Metadata.Size === 'number') size = value.Metadata.Size;
  } else if (isRecord(value.source) && isRecord(value.source.target)) {
    const target = value.source.target;
    if (typeof target.config === 'string') {
      try {
        config = JSON.parse(Buffer.from(target.config, 'base64').toString('utf8'));
      } catch {
        config = undefined;
      }
    }
    configDigest = typeof target.imageID === 'string' ? target.imageID : '';
    if (typeof target.imageSize === 'number') size = target.imageSize;
    if (typeof target.manifestDigest === 'string') manifestDigest = target.manifestDigest;
  }
  if (!isRecord(config)) return undefined;
  const diffIds =
    isRecord(config.rootfs) && Array.isArray(config.rootfs.diff_ids) ? config.rootfs.diff_ids : [];
  const metadata = imageMetadataFromConfig(
    Buffer.from(JSON.stringify(config)),
    {
      config: { digest: configDigest, size: 0 },
      layers: diffIds.map(() => ({ mediaType: '', digest: '', size: 0 })),
    },
    where,
    'registry',
  );
  if (size === undefined) delete metadata.size;
  else metadata.size = size;
  if (manifestDigest) metadata.manifestDigest = manifestDigest;
  return metadata;
}

/**
 * Scanner reports as input: a Trivy (`trivy image -f json`) or Grype (`grype -o json`) report
 * becomes the image resource it describes, with the image configuration the report carries and its
 * vulnerabilities, so `parapet check report.json` judges an image scanned elsewhere.
 */
export const imageInput: InputAdapter = {
  name: 'image',
  detectJson: isScannerReport,
  fromJson(value: unknown, source: JsonSource): AdapterOutput {
    const report = parseVulnerabilityReport(value, source.file);
    const record = value as Record<string, unknown>;
    const digest = report.references
      .map((reference) => tryParseImageReference(reference))
      .find((parsed) => parsed.ok && parsed.reference.digest);
    const written = report.artifact || (digest?.ok ? digest.reference.normalized : '');
    if (!written)
      throw new ParapetError(
        'PARAPET_INPUT_PARSE',
        `${source.file}: the ${report.scanner} report does not name the image it scanned`,
        { file: source.file },
      );
    const resource = imageResource(written, { location: { file: source.file, line: 1 } });
    const metadata = reportMetadata(record, source.file);
    if (metadata) {
      if (digest?.ok && digest.reference.digest) metadata.digest = digest.reference.digest;
      attachMetadata(resource, metadata, new Date());
    }
    attachVulnerabilities(resource, [report]);
    return { resources: [resource], notices: [] };
  },
};

/**
 * Image resources for `--image` arguments: a reference (`nginx:1.27`), an OCI layout directory
 * (`oci:DIR[:NAME]`) or a `docker save` tarball (`docker-archive:FILE[:NAME]`), as skopeo names them.
 * An invalid argument is a usage error naming it.
 */
export async function imageResourcesFromArguments(args: string[], now = new Date()): Promise<Resource[]> {
  const resources: Resource[] = [];
  for (const arg of args) {
    const transport = /^(oci|docker-archive):(.+)$/.exec(arg);
    if (transport) {
      const [, kind, rest = ''] = transport;
      const colon = rest.indexOf(':');
      const path = colon === -1 ? rest : rest.slice(0, colon);
      const name = colon === -1 ? undefined : rest.slice(colon + 1);
      const local: LocalImage =
        kind === 'oci'
          ? await readOciLayout(path, name)
          : // tar is loaded only for `docker save` archives.
            await (await import('../images/docker-archive.js')).readDockerArchive(path, name);
      const written =
        local.references[0] ??
        (local.metadata.digest ? `${kind}:${path}@${local.metadata.digest}` : `${kind}:${path}`);
      const resource = imageResource(written, { location: { file: path, line: 0 } });
      if (local.references.length === 0) {
        // No tag recorded: identify the image by where it was read from; there is no reference to judge.
        resource.id = written;
        resource.name = written;
        resource.body = { image: written };
        const facts = imageFactsOf(resource);
        if (facts) {
          facts.valid = true;
          delete facts.error;
        }
      }
      attachMetadata(resource, local.metadata, now);
      resources.push(resource);
      continue;
    }
    const parsed = tryParseImageReference(arg);
    if (!parsed.ok)
      throw new ParapetError(
        'PARAPET_USAGE',
        `--image ${quote(arg)}: invalid image reference: ${parsed.reason}`,
      );
    resources.push(imageResource(arg, { location: { file: '--image', line: 0 } }));
  }
  return resources;
}
