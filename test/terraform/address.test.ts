import { describe, expect, it } from 'vitest';
import { formatModuleInstance, parseResourceAddress } from '../../src/terraform/address.js';

describe('parseResourceAddress', () => {
  it.each([
    ['aws_instance.web', { module: [], mode: 'managed', type: 'aws_instance', name: 'web' }],
    ['aws_instance.web[3]', { module: [], mode: 'managed', type: 'aws_instance', name: 'web', key: 3 }],
    [
      'data.aws_iam_policy_document.assume',
      { module: [], mode: 'data', type: 'aws_iam_policy_document', name: 'assume' },
    ],
    [
      'module.net["eu-west-1"].module.subnets[0].aws_subnet.private["a.b]c"]',
      {
        module: [
          { name: 'net', key: 'eu-west-1' },
          { name: 'subnets', key: 0 },
        ],
        mode: 'managed',
        type: 'aws_subnet',
        name: 'private',
        key: 'a.b]c',
      },
    ],
    [
      'module.app.data.aws_ami.ubuntu',
      { module: [{ name: 'app' }], mode: 'data', type: 'aws_ami', name: 'ubuntu' },
    ],
  ])('parses %s', (address, expected) => {
    expect(parseResourceAddress(address)).toEqual(expected);
  });

  it.each([
    'aws_instance',
    'module.x',
    'aws_instance.web[x]',
    'aws_instance.web["a"',
    'module..aws_instance.web',
    'aws_instance.web extra',
  ])('rejects %s', (address) => {
    expect(parseResourceAddress(address)).toBeUndefined();
  });

  it('formats module instances back to the address form', () => {
    const parsed = parseResourceAddress('module.net["eu"].module.subnets[0].aws_subnet.a');
    expect(formatModuleInstance(parsed?.module ?? [])).toBe('module.net["eu"].module.subnets[0]');
  });
});
