import type { Settings } from '../model/settings.js';
import { loadCosignPublicKey } from './cosign.js';
import { defaultDockerConfigPath, DockerConfigCredentials } from './docker-config.js';
import { imageSettingsFrom } from './settings.js';
import { cachedVulnerabilityReport } from './vulnerabilities.js';

/**
 * Read every file the image settings name (vulnerability reports, cosign keys, and the docker
 * config when registry lookups are on) before anything is evaluated. A missing or malformed one
 * is then a one-line error naming it (exit 2, or a server that does not start), rather than a
 * warning after the run: a security check must not pass quietly because its Trivy report was
 * truncated. Reports stay cached for the evaluation that follows.
 */
export function preflightImageFiles(settings: Settings): void {
  const images = imageSettingsFrom(settings.domains.images);
  for (const file of images.vulnerabilityReports) cachedVulnerabilityReport(file);
  for (const file of images.cosignKeys) loadCosignPublicKey(file);
  if (images.registry) DockerConfigCredentials.load(images.dockerConfig ?? defaultDockerConfigPath());
}
