/** Zips for tests: a minimal writer, and a job jar that says what it is built for. */
import { deflateRawSync } from 'node:zlib';
import { JOB_PROPERTIES_ENTRY } from '../../src/domain/jar-info.js';
import { SPARK_FAMILY, type SparkFamily } from '../../src/domain/spark-family.js';

/** A minimal zip writer (stored or deflated entries, a comment), enough to exercise the reader. */
export function zip(entries: { name: string; data: Buffer; deflate: boolean }[], comment = ''): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const body = e.deflate ? deflateRawSync(e.data) : e.data;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const extra = Buffer.from('xx'); // local extra fields differ from the central ones in real jars
    local.writeUInt16LE(extra.length, 28);
    locals.push(local, name, extra, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + extra.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  eocd.writeUInt16LE(Buffer.byteLength(comment), 20);
  return Buffer.concat([...locals, cd, eocd, Buffer.from(comment)]);
}

/** A jar holding only the job's `populator-job.properties` for a family (what validate and submit read). */
export function fakeJobJar(family: SparkFamily, version = '0.1.0'): Buffer {
  const f = SPARK_FAMILY[family];
  const props = [
    `version=${version}`,
    `spark.family=${family}`,
    `spark.version=${f.sparkVersion}`,
    `scala.binary.version=${f.scalaBinaryVersion}`,
    '',
  ].join('\n');
  return zip([{ name: JOB_PROPERTIES_ENTRY, data: Buffer.from(props), deflate: true }]);
}
