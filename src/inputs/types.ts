import type { YamlDocument } from './yaml.js';
import type { Notice } from '../model/result.js';
import type { Resource } from '../model/resource.js';

export interface AdapterOutput {
  resources: Resource[];
  notices: Notice[];
}

export interface JsonSource {
  /** The path as given on the command line (`-` for stdin). */
  file: string;
  text: string;
}

export interface YamlSource {
  file: string;
  text: string;
  /** Every document of the file, parsed (see src/inputs/yaml.ts). */
  documents: YamlDocument[];
}

/** One input format. JSON documents go to the first adapter whose `detectJson` claims them. */
export interface InputAdapter {
  name: string;
  detectJson?(value: unknown): boolean;
  fromJson?(value: unknown, source: JsonSource): AdapterOutput;
  /** YAML files are Kubernetes manifests unless an adapter claims a document first. */
  detectYaml?(value: unknown): boolean;
  fromYaml?(source: YamlSource): AdapterOutput;
}
