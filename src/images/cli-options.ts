import type { Command } from 'commander';
import type { Settings } from '../model/settings.js';
import { imageSettingsFrom } from './settings.js';

/** The image options of `parapet check`. */
export interface ImageCliOptions {
  image: string[];
  registry?: boolean;
  vulns: string[];
  cosignKey: string[];
}

function collectValues(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Add `--image`, `--registry`, `--vulns` and `--cosign-key` to a command. */
export function addImageOptions(command: Command): Command {
  return command
    .option(
      '--image <ref>',
      'check an image: a reference, oci:DIR[:NAME] or docker-archive:FILE[:NAME] (repeatable)',
      collectValues,
      [],
    )
    .option('--registry', 'read image metadata and signatures from registries (network; bounded by timeouts)')
    .option(
      '--vulns <file>',
      'Trivy or Grype JSON report, matched to images by digest or reference (repeatable)',
      collectValues,
      [],
    )
    .option(
      '--cosign-key <file>',
      'PEM public key cosign signatures are verified with (repeatable; implies nothing without --registry)',
      collectValues,
      [],
    );
}

/** Fold the command-line image options over `images:` from the configuration; a bad value is an error naming it. */
export function applyImageOptions(settings: Settings, options: ImageCliOptions): void {
  const images = imageSettingsFrom(settings.domains.images);
  if (options.registry) images.registry = true;
  const cwd = process.cwd();
  const fromCli = imageSettingsFrom(
    { vulnerabilityReports: options.vulns, cosignKeys: options.cosignKey },
    cwd,
    'command line',
  );
  images.vulnerabilityReports = [...images.vulnerabilityReports, ...fromCli.vulnerabilityReports];
  images.cosignKeys = [...images.cosignKeys, ...fromCli.cosignKeys];
  settings.domains = { ...settings.domains, images };
}
