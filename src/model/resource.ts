import { detachedString } from './detached-string.js';

/** Where a resource, or one of its fields, was written. `line` is 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
}

export type ResourceSource = 'kubernetes' | 'terraform' | 'image';

/**
 * Facts the engine derives for a resource. Policies read them under `facts` exactly like the body.
 * Adapters and fact providers add their own keys; the known ones are typed here.
 */
export interface ResourceFacts {
  /** Kubernetes workloads: the pod spec, wherever the kind keeps it. */
  podSpec?: Record<string, unknown>;
  /** Kubernetes workloads: the JSON pointer of `podSpec` inside the body. */
  podSpecPath?: string;
  /** Kubernetes workloads: the pod template's metadata (labels, annotations), and its pointer. */
  podMetadata?: Record<string, unknown>;
  podMetadataPath?: string;
  /** Kubernetes workloads: every container, init container and ephemeral container. */
  containers?: ContainerFact[];
  /** Kubernetes workloads: the labels the pods will carry. */
  podLabels?: Record<string, string>;
  [key: string]: unknown;
}

export interface ContainerFact {
  /** `containers`, `initContainers` or `ephemeralContainers`. */
  list: 'containers' | 'initContainers' | 'ephemeralContainers';
  index: number;
  name: string;
  /** JSON pointer of the container inside the resource body. */
  path: string;
  container: Record<string, unknown>;
  /** The pod spec the container belongs to (so one rule can weigh pod- and container-level settings). */
  pod: Record<string, unknown>;
  /** The pod's metadata (annotations such as AppArmor's), or an empty object. */
  podMetadata: Record<string, unknown>;
}

/** One thing to judge, normalised from whatever input format it came from. */
export interface Resource {
  source: ResourceSource;
  kind: string;
  /** Stable address: `Deployment/prod/web`, `module.net.aws_subnet.a[0]`, `docker.io/library/nginx:1.27`. */
  id: string;
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  location: SourceLocation;
  /** The object as the user wrote or planned it. */
  body: Record<string, unknown>;
  facts: ResourceFacts;
  /**
   * JSON pointers (inside `body`) of values unknown until apply (Terraform). A rule whose verdict
   * depends on one of them yields `unknown`, never `fail` or a silent pass.
   */
  unknownPaths?: string[];
  /** Line of the field at a JSON pointer inside `body`, when the adapter can tell. */
  lineOf?: (pointer: string) => number | undefined;
}

/** A short reference to a resource, as findings and reports carry it. */
export interface ResourceRef {
  id: string;
  kind: string;
  source: ResourceSource;
  file: string;
  line: number;
}

export function resourceRef(resource: Resource): ResourceRef {
  return {
    // Kept to the end of the run (findings and reports refer to it), unlike the resource.
    id: detachedString(resource.id),
    kind: resource.kind,
    source: resource.source,
    file: resource.location.file,
    line: resource.location.line,
  };
}
