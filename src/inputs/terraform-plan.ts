import { looksLikeTerraformJson, terraformPlanResources } from '../terraform/plan.js';
import type { InputAdapter } from './types.js';

/**
 * Terraform plans as `terraform show -json PLANFILE` prints them (format 0.1 through 1.x). It also
 * claims Terraform state and future-format documents, so that they get a precise error instead of
 * "not a recognised input".
 */
export const terraformPlanInput: InputAdapter = {
  name: 'terraform-plan',
  detectJson: looksLikeTerraformJson,
  fromJson: (value, source) => terraformPlanResources(value, source),
};
