import { admissionReviewInput } from './admission-review.js';
import { imageInput } from './image.js';
import { kubernetesInput } from './kubernetes.js';
import { terraformPlanInput } from './terraform-plan.js';
import type { InputAdapter } from './types.js';

/**
 * Every input format, in detection order: a JSON document goes to the first adapter whose
 * `detectJson` claims it; YAML goes to the first whose `detectYaml` claims its first document,
 * else to the Kubernetes adapter. Kubernetes stays last: its detection is the loosest.
 */
export const inputAdapters: InputAdapter[] = [
  terraformPlanInput,
  admissionReviewInput,
  imageInput,
  kubernetesInput,
];
