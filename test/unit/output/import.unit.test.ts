import { describe, expect, it } from 'vitest';
import type { ImportView } from '../../../src/aws/dynamodb-import.js';
import { buildImportPlan } from '../../../src/domain/import-plan.js';
import { renderImportPlan, renderImportProgressLine } from '../../../src/output/import.js';

function view(over: Partial<ImportView>): ImportView {
  return {
    importArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/manifest/import/0123',
    status: 'IN_PROGRESS',
    final: false,
    tableArn: null,
    processedSizeBytes: 0,
    processedItemCount: 0,
    importedItemCount: 0,
    errorCount: 0,
    cloudWatchLogGroupArn: null,
    failureCode: null,
    failureMessage: null,
    startTime: null,
    endTime: null,
    ...over,
  };
}

describe('renderImportPlan', () => {
  it("shows the import's cost beside puts of the same items, the new table and the limits", () => {
    const text = renderImportPlan(
      buildImportPlan({ items: 1_000_000_000, region: 'us-east-1', writeRate: 40_000 }),
    );
    const row = (label: string): string => text.split('\n').find((l) => l.startsWith(label)) ?? '';
    expect(row('import files')).toContain(
      '1,000,000,000 items in 250 gzip DYNAMODB_JSON objects: 175.0 GB uncompressed (175 bytes per item), about 52.5 GB in S3',
    );
    expect(row('import cost')).toContain('$26.25 ($0.15 per GB of uncompressed source');
    expect(row('puts instead')).toContain('$625.00 on-demand ($0.625 per million writes: 24x the import)');
    expect(row('puts instead')).toContain('$180.56 on provisioned capacity (40,000 WCU for 6 h 57 min');
    expect(row('puts instead')).toContain('6.9x the import');
    expect(row('new table')).toBe(
      'new table      on-demand, in us-east-1; TTL switched on for ttl once the import completes',
    );
    expect(row('import limits')).toContain(
      '15.0 TB of S3 objects per import in us-east-1 (1 TB outside us-east-1, us-west-2, eu-west-1), 50,000 objects: within them',
    );
    expect(text).not.toContain('cannot import');
  });

  it('names provisioned billing, and each limit broken with its way out', () => {
    const text = renderImportPlan(
      buildImportPlan({
        items: 30e9,
        region: 'eu-central-1',
        writeRate: 1000,
        billing: { mode: 'provisioned', readCapacity: 10, writeCapacity: 20 },
      }),
    );
    expect(text).toContain('provisioned, 10 RCU and 20 WCU, in eu-central-1');
    expect(text).toContain(
      '1.0 TB of S3 objects per import in eu-central-1 (15 TB in us-east-1, us-west-2, eu-west-1)',
    );
    expect(text).toContain('OVER (below)');
    expect(text).toMatch(/cannot import +The import files would take about 1\.6 TB .*--since\/--until/);
  });
});

describe('renderImportProgressLine', () => {
  it('says the counters come at the end while DynamoDB shows zeros', () => {
    expect(renderImportProgressLine(view({}))).toBe('import IN_PROGRESS; counters come at the end');
  });

  it('shows the counters, the errors and the log group once there are any', () => {
    expect(
      renderImportProgressLine(
        view({
          status: 'COMPLETED',
          final: true,
          processedItemCount: 1_000_000,
          processedSizeBytes: 175_000_000,
          importedItemCount: 999_999,
          errorCount: 1,
          cloudWatchLogGroupArn: 'arn:aws:logs:us-east-1:111122223333:log-group:/aws-dynamodb/imports:*',
        }),
      ),
    ).toBe(
      'import COMPLETED; 1,000,000 items processed (175.0 MB), 999,999 imported, 1 error; log group arn:aws:logs:us-east-1:111122223333:log-group:/aws-dynamodb/imports:*',
    );
  });

  it('shows why an import failed', () => {
    expect(
      renderImportProgressLine(
        view({
          status: 'FAILED',
          final: true,
          failureCode: 'S3NoSuchBucket',
          failureMessage: 'The specified bucket does not exist',
        }),
      ),
    ).toBe('import FAILED; nothing processed; S3NoSuchBucket: The specified bucket does not exist');
  });
});
