/** Kubernetes' CEL libraries, as kube-apiserver 1.34 has them in its admission environment. */
import { authzLibrary } from './authz.js';
import { comprehensionsLibrary } from './comprehensions.js';
import type { CelLibrary } from './define.js';
import { formatLibrary } from './format.js';
import { ipLibrary } from './ip.js';
import { listsLibrary } from './lists.js';
import { optionalLibrary } from './optional.js';
import { quantityLibrary } from './quantity.js';
import { regexLibrary } from './regex.js';
import { semverLibrary } from './semver.js';
import { setsLibrary } from './sets.js';
import { stringsLibrary } from './strings.js';
import { urlsLibrary } from './urls.js';

export const celLibraries: readonly CelLibrary[] = [
  stringsLibrary,
  listsLibrary,
  regexLibrary,
  urlsLibrary,
  quantityLibrary,
  ipLibrary,
  formatLibrary,
  semverLibrary,
  setsLibrary,
  optionalLibrary,
  comprehensionsLibrary,
  authzLibrary,
];

export type { CelLibrary } from './define.js';
export { UnknownValueError, ciAuthorizer, ciRequestResource } from './authz.js';
