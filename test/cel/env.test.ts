import { describe, expect, it } from 'vitest';
import { CelCompileError, CelEnvironment, CostBudget, ciAuthorizer, fromCel } from '../../src/cel/index.js';

const env = new CelEnvironment({ variables: ['object', 'params', 'authorizer'] });
const pod = {
  metadata: { name: 'web', labels: { app: 'shop', tier: 'front' } },
  spec: {
    replicas: 3,
    containers: [
      {
        name: 'app',
        image: 'registry.example.com/shop:1.4',
        resources: { limits: { memory: '1Gi', cpu: '500m' } },
      },
      { name: 'sidecar', image: 'docker.io/envoy:1.30' },
    ],
  },
};

function value(expression: string, variables: Record<string, unknown> = { object: pod }): unknown {
  const outcome = env.compile(expression).evaluate(variables);
  if (outcome.kind !== 'value')
    throw new Error(
      `${expression}: ${outcome.kind}: ${'message' in outcome ? outcome.message : outcome.reason}`,
    );
  return fromCel(outcome.value);
}

describe('CEL environment with Kubernetes libraries', () => {
  it.each([
    ['object.spec.containers.all(c, c.image.startsWith("registry.example.com/"))', false],
    ['object.spec.replicas + 1', 4],
    ['object.spec.replicas == 3.0', true],
    ['object.?spec.?strategy.?type.orValue("RollingUpdate")', 'RollingUpdate'],
    ['object.?spec.?replicas.orValue(1) * 2', 6],
    ['object.spec.containers[?7].hasValue()', false],
    ['[?object.?spec.?missing, 1]', [1]],
    ['{?"a": optional.none(), "b": 2}', { b: 2 }],
    ['object.metadata.labels.all(k, v, k.size() > 2 && v != "")', true],
    ['object.spec.containers.exists(i, c, i == 1 && c.name == "sidecar")', true],
    ['object.spec.containers.existsOne(i, c, c.name.startsWith("s"))', true],
    ['object.spec.containers.transformList(i, c, c.name + "#" + string(i))', ['app#0', 'sidecar#1']],
    ['object.metadata.labels.transformMap(k, v, v.upperAscii())', { app: 'SHOP', tier: 'FRONT' }],
    ['object.metadata.labels.transformMapEntry(k, v, {v: k})', { shop: 'app', front: 'tier' }],
    ['"registry.example.com/shop:1.4".split("/")[0]', 'registry.example.com'],
    ['"a,b,,c".split(",").filter(s, s != "").join("-")', 'a-b-c'],
    ['strings.quote("say \\"hi\\"")', '"say \\"hi\\""'],
    ['"shop:1.4".find("[0-9.]+$")', '1.4'],
    ['"a1b22c333".findAll("[0-9]+", 2)', ['1', '22']],
    ['[3, 1, 2].sort()', [1, 2, 3]],
    ['[1, 2, 2, 3].distinct()', [1, 2, 3]],
    ['[[1], [2, [3]]].flatten()', [1, 2, [3]]],
    ['[1, 2, 3].isSorted() && [1, 2, 3].sum() == 6 && [4, 2].min() == 2 && [4, 2].max() == 4', true],
    ['[1, 2, 3, 2].lastIndexOf(2)', 3],
    ['lists.range(3).reverse()', [2, 1, 0]],
    ['[1, 2, 3, 4].slice(1, 3)', [2, 3]],
    ['object.spec.containers.sortBy(c, c.name).map(c, c.name)', ['app', 'sidecar']],
    ['quantity(object.spec.containers[0].resources.limits.memory).isGreaterThan(quantity("512Mi"))', true],
    ['quantity("500m").add(quantity("1.5")).compareTo(quantity("2"))', 0],
    ['quantity("1k").asInteger() + quantity("2Ki").asInteger()', 3048],
    ['quantity("1.5").isInteger()', false],
    ['quantity("0.5").asApproximateFloat()', 0.5],
    ['isQuantity("1Gi") && !isQuantity("1 Gi")', true],
    ['quantity("1") == quantity("1000m")', true],
    ['ip("10.0.0.1").family() == 4 && ip("fe80::1").isLinkLocalUnicast()', true],
    ['ip.isCanonical("2001:db8::1") && !ip.isCanonical("2001:DB8::1")', true],
    ['cidr("10.0.0.0/8").containsIP("10.2.3.4") && !cidr("10.0.0.0/8").containsIP(ip("11.0.0.1"))', true],
    ['string(cidr("10.1.2.3/16").masked())', '10.1.0.0/16'],
    ['cidr("10.0.0.0/8").containsCIDR("10.1.0.0/16")', true],
    ['isIP("::ffff:1.2.3.4")', false],
    ['isCIDR("192.168.0.0/33")', false],
    ['semver("1.2.3").isLessThan(semver("1.10.0")) && semver("v1.2", true).patch() == 0', true],
    ['semver("1.0.0-alpha").compareTo(semver("1.0.0"))', -1],
    ['isSemver("1.2") || isSemver("01.2.3")', false],
    ['url("https://example.com:8443/a/b?x=1&x=2").getQuery()', { x: ['1', '2'] }],
    [
      'url("https://example.com:8443/a").getHostname() + ":" + url("https://example.com:8443/a").getPort()',
      'example.com:8443',
    ],
    ['isURL("/just/a/path") && !isURL("relative/path")', true],
    ['format.dns1123Label().validate("web-1")', null],
    [
      'format.named("dns1123Label").value().validate("Web")',
      [
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    ['format.named("nope").hasValue()', false],
    [
      'sets.contains([1, 2, 3], [3, 1]) && sets.equivalent([1, 2], [2, 1, 1]) && !sets.intersects([1], [2])',
      true,
    ],
    ['optional.ofNonZeroValue("").hasValue() || optional.of(1).value() != 1', false],
    ['optional.none().or(optional.of(2)).value()', 2],
    ['optional.of(3).optMap(x, x * 2).value()', 6],
    ['type(quantity("1")) == type(quantity("2"))', true],
  ])('%s', (expression, expected) => {
    expect(value(expression)).toEqual(expected);
  });

  it('reports a missing field as an error, not a value', () => {
    const outcome = env.compile('object.spec.hostNetwork == true').evaluate({ object: pod });
    expect(outcome).toMatchObject({ kind: 'error', message: 'no such key: hostNetwork' });
  });

  it('rejects undeclared names and bad syntax at compile time', () => {
    expect(() => env.compile('objekt.spec')).toThrow(
      new CelCompileError("compilation failed: undeclared reference to 'objekt'"),
    );
    expect(() => env.compile('object.spec.(')).toThrow(CelCompileError);
    expect(() => env.compile('nosuchfunction(object)')).toThrow("undeclared reference to 'nosuchfunction'");
    expect(() => env.compile('[1].all(i, i, true)')).toThrow('must differ');
  });

  it('answers unknown for authorizer checks outside the cluster', () => {
    const check = env.compile('authorizer.group("apps").resource("deployments").check("create").allowed()');
    expect(check.evaluate({ authorizer: ciAuthorizer })).toMatchObject({ kind: 'unknown' });
    const decided = env.compile('true || authorizer.group("").resource("pods").check("get").allowed()');
    expect(decided.evaluate({ authorizer: ciAuthorizer })).toMatchObject({ kind: 'value', value: true });
  });

  it('stops an expression that exceeds its cost limit, even inside ||', () => {
    const limited = new CelEnvironment({ variables: ['object'], expressionCostLimit: 10_000 });
    const hostile = limited.compile(
      'lists.range(100).map(a, lists.range(100).map(b, lists.range(100).map(c, a + b + c))).size() < 0 || true',
    );
    expect(hostile.evaluate({})).toMatchObject({
      kind: 'error',
      costExceeded: true,
      message: 'operation cancelled: actual cost limit exceeded',
    });
  });

  it('shares a budget across the expressions of one evaluation', () => {
    const budget = new CostBudget(50);
    const each = env.compile('lists.range(20).all(x, x >= 0)');
    expect(each.evaluate({}, budget).kind).toBe('value');
    expect(each.evaluate({}, budget)).toMatchObject({ kind: 'error', costExceeded: true });
  });
});
