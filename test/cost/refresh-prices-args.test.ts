import { describe, expect, it } from 'vitest';
import { parseRefreshArguments } from '../../src/cost/refresh-prices.js';

describe('refresh-prices arguments', () => {
  it.each([
    [['aws-ec2', 'us-east-1', 'eu-west-1'], { name: 'aws-ec2', regions: ['us-east-1', 'eu-west-1'] }],
    [['aws-rds', 'us-east-1'], { name: 'aws-rds', regions: ['us-east-1'] }],
    [['azure-vm', 'eastus', 'westus2'], { name: 'azure-vm', regions: ['eastus', 'westus2'] }],
    [
      ['aws-ec2', 'us-east-1', '--file', 'prices.yaml'],
      { name: 'aws-ec2', regions: ['us-east-1'], file: 'prices.yaml' },
    ],
    [
      ['--file=prices.yaml', 'aws-ec2', 'us-east-1'],
      { name: 'aws-ec2', regions: ['us-east-1'], file: 'prices.yaml' },
    ],
  ])('reads %j (the README examples keep their first argument)', (argv, expected) => {
    expect(parseRefreshArguments(argv)).toEqual({ file: undefined, ...expected });
  });

  it.each([[[]], [['aws-ec2']], [['gcp-vm', 'us-east1']], [['aws-ec2', 'us-east-1', '--region', 'x']]])(
    'rejects %j',
    (argv) => {
      expect(parseRefreshArguments(argv)).toBeUndefined();
    },
  );
});
