/**
 * Test fixture: writes manifest items straight into a table with BatchWriteItem (25 per call),
 * the way a back-fill would have left them, without running Spark (much faster on a loaded machine).
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { ManifestItem, ManifestKey } from '../../src/domain/enriched.js';

export function manifestWriter(
  endpoint: string,
  region: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
) {
  const client = new DynamoDBClient({ endpoint, region, credentials });
  return {
    /** Puts `items`, each with the `extra` attributes too (padding, or an attribute to override). */
    async put(
      table: string,
      items: readonly ManifestItem[],
      extra: Record<string, AttributeValue> = {},
    ): Promise<void> {
      for (let i = 0; i < items.length; i += 25) {
        let requests: WriteRequest[] = items.slice(i, i + 25).map((it) => ({
          PutRequest: {
            Item: {
              eventId: { S: it.eventId },
              fingerprint: { S: it.fingerprint },
              etlTime: { N: String(it.etlTime) },
              ttl: { N: String(it.ttl) },
              ...extra,
            },
          },
        }));
        while (requests.length > 0) {
          const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
          requests = out.UnprocessedItems?.[table] ?? [];
        }
      }
    },
    async delete(table: string, keys: readonly ManifestKey[]): Promise<void> {
      for (const k of keys) {
        await client.send(
          new DeleteItemCommand({
            TableName: table,
            Key: { eventId: { S: k.eventId }, fingerprint: { S: k.fingerprint } },
          }),
        );
      }
    },
    destroy: () => client.destroy(),
  };
}
