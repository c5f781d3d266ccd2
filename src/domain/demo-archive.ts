/**
 * A realistic enriched-event archive, generated from a seed (pure: the caller writes it out).
 * It holds every kind of line and file the job must cope with (DESIGN 3.1): plain, `.gz` and
 * pre-R83 `.gzip` files, zero-byte files, `_SUCCESS` markers, folders that are not runs,
 * duplicates within and across runs, events without a fingerprint and malformed lines.
 */
import { DateTime } from 'luxon';

import {
  ENRICHED_COLUMN_COUNT,
  ETL_TSTAMP_INDEX,
  EVENT_FINGERPRINT_INDEX,
  EVENT_ID_INDEX,
} from './contract.js';
import type { Random } from './random.js';
import { formatRunId, runFolderName } from './run-id.js';

/** A real enriched event (Snowplow's own sample), the template every generated line varies. */
export const REFERENCE_ENRICHED_LINE =
  'blog\tweb\t2016-11-27 08:46:40.000\t2016-11-27 07:16:07.000\t2016-11-27 07:16:07.333\tpage_view\t1799a90f-f570-4414-b91a-b0db8f39cc2e\t\tblogTracker\tjs-2.7.0-rc2\tclj-1.1.0-tom-0.2.0\thadoop-1.8.0-common-0.24.0\t\t185.124.153.x\t531497290\t1f9b3980-6619-4d75-a6c9-8253c76c3bfb\t18\t5beb1f92-d4fb-4020-905c-f659929c8ab5\t\t\t\t\t\t\t\t\t\t\t\thttp://chuwy.me/scala-blocks.html\tScala Code Blocks\thttp://chuwy.me/\thttp\tchuwy.me\t80\t/scala-blocks.html\t\t\thttp\tchuwy.me\t80\t/\t\t\tinternal\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\tMozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/54.0.2840.98 Safari/537.36\tChrome\tChrome\t54.0.2840.98\tBrowser\tWEBKIT\t\t1\t1\t0\t0\t0\t0\t0\t0\t0\t1\t24\t1280\t726\tMac OS X\tMac OS X\tApple Inc.\tAsia/Omsk\tComputer\t0\t1280\t800\tUTF-8\t1280\t4315\t\t\t\t\t\t\t\t\t\t\t\t2016-11-27 07:16:07.340\t\t\t{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1","data":[{"schema":"iglu:com.snowplowanalytics.snowplow/ua_parser_context/jsonschema/1-0-0","data":{"useragentFamily":"Chrome","useragentMajor":"54","useragentMinor":"0","useragentPatch":"2840","useragentVersion":"Chrome 54.0.2840","osFamily":"MacOS X","osMajor":"10","osMinor":"11","osPatch":"6","osPatchMinor":null,"osVersion":"Mac OS X 10.11.6","deviceFamily":"Other"}}]}\t395e4506-37a3-4074-8de2-d8c75fb17d4a\t2016-11-27 07:16:06.993\tcom.snowplowanalytics.snowplow\tpage_view\tjsonschema\t1-0-0\tbed9a39a0917874d2ff072033a6413d9\t';

/** How many lines the run folders hold, in total, unless told otherwise. */
export const DEFAULT_DEMO_EVENTS = 5000;
/** How many run folders, unless told otherwise. */
export const DEFAULT_DEMO_RUNS = 6;
/** The first run's time unless told otherwise: the runs then cross into 2026. */
export const DEFAULT_DEMO_FIRST_RUN = '2025-12-31T18:00:00Z';

/** Options of the generator. */
export interface DemoArchiveOptions {
  /** Lines in all run folders together (bad ones and duplicates included). Default 5000, at least 100. */
  events?: number;
  /** Number of run folders (at least 2, so events can re-appear in a later run). Default 6. */
  runs?: number;
  /** The first run's instant (UTC); later runs follow 3-6 hours apart. Default 2025-12-31T18:00:00Z. */
  firstRun?: DateTime;
}

/** Why a line is in the archive. */
export type DemoLineKind =
  | 'fresh'
  | 'crlf'
  | 'noFingerprint'
  | 'exactDuplicate'
  | 'laterRunDuplicate'
  | 'otherFingerprint'
  | 'truncated'
  | 'extraField'
  | 'badEventId'
  | 'badEtlTstamp';

/** Every line kind, in a stable order. */
export const DEMO_LINE_KINDS: readonly DemoLineKind[] = [
  'fresh',
  'crlf',
  'noFingerprint',
  'exactDuplicate',
  'laterRunDuplicate',
  'otherFingerprint',
  'truncated',
  'extraField',
  'badEventId',
  'badEtlTstamp',
];

/** What a file is there for. */
export type DemoFileRole = 'data' | 'empty' | 'marker' | 'ignored';

/** One file of the archive. */
export interface DemoFile {
  /** Path relative to the archive root, `/`-separated. */
  path: string;
  /** `gzip` for `.gz` and `.gzip` files: the content must be gzip-compressed when written. */
  compression: 'none' | 'gzip';
  /** The uncompressed content ('' for zero-byte files and markers). */
  text: string;
  /** Lines a reader yields from the file. */
  lineCount: number;
  role: DemoFileRole;
}

/** One run folder and the lines a reader yields from it (line ends removed), in file order. */
export interface DemoRun {
  runId: string;
  folder: string;
  lines: string[];
  /** The kind of each line, same order as `lines`. */
  kinds: DemoLineKind[];
}

/** The generated archive. */
export interface DemoArchive {
  runs: DemoRun[];
  files: DemoFile[];
  /** Top-level folders a reader must ignore (and report). */
  ignoredFolders: string[];
  kindCounts: Record<DemoLineKind, number>;
}

interface Line {
  text: string;
  kind: DemoLineKind;
}

interface Event {
  fields: string[];
  eventId: string;
  fingerprint: string;
}

const APPS = ['blog', 'shop', 'docs', 'checkout'] as const;
const HOSTS: Record<(typeof APPS)[number], string> = {
  blog: 'chuwy.me',
  shop: 'shop.example.com',
  docs: 'docs.example.com',
  checkout: 'pay.example.com',
};
const PAGES = [
  ['/scala-blocks.html', 'Scala Code Blocks'],
  ['/', 'Home'],
  ['/products/espresso-grinder', 'Espresso grinder'],
  ['/cart', 'Your cart'],
  ['/docs/getting-started', 'Getting started'],
  ['/blog/2025/12/dedupe', 'Deduplicating events'],
] as const;
const EVENTS = [
  ['page_view', 'page_view'],
  ['page_view', 'page_view'],
  ['page_ping', 'page_ping'],
  ['struct', 'event'],
] as const;
const BAD_EVENT_IDS = [
  '',
  'not-a-uuid',
  '1799a90ff5704414b91ab0db8f39cc2e',
  '1799a90f-f570-4414-b91a-b0db8f39cc2',
];
const BAD_ETL_TSTAMPS = [
  '',
  '2025-12-31T18:05:01.123Z',
  '2025-12-31 18:05',
  '2025-02-30 10:00:00.000',
  'null',
];
const ENCODINGS = ['none', 'gz', 'gzip'] as const;

const TEMPLATE = REFERENCE_ENRICHED_LINE.split('\t');

/** Generates an archive; the same Random state and options always give the same archive. */
export function generateDemoArchive(random: Random, opts: DemoArchiveOptions = {}): DemoArchive {
  const total = opts.events ?? DEFAULT_DEMO_EVENTS;
  const runCount = opts.runs ?? DEFAULT_DEMO_RUNS;
  if (!Number.isInteger(total) || total < 100)
    throw new Error(`events must be an integer >= 100, got ${total}`);
  if (!Number.isInteger(runCount) || runCount < 2)
    throw new Error(`runs must be an integer >= 2, got ${runCount}`);
  let runTime = (opts.firstRun ?? DateTime.fromISO(DEFAULT_DEMO_FIRST_RUN, { zone: 'utc' }))
    .toUTC()
    .startOf('second');

  const sizes = splitTotal(random, total, runCount, 1);
  const slotKinds = assignKinds(random, total, sizes);

  const runs: DemoRun[] = [];
  const files: DemoFile[] = [];
  const earlierEvents: Event[] = [];
  for (let r = 0; r < runCount; r++) {
    const runId = formatRunId(runTime);
    const folder = runFolderName(runId);
    const runLines = generateRunLines(random, runTime, slotKinds[r] ?? [], earlierEvents);
    for (const f of runFiles(random, folder, runLines, r, r === runCount - 1)) files.push(f);
    runs.push({ runId, folder, lines: runLines.map((l) => l.text), kinds: runLines.map((l) => l.kind) });
    runTime = runTime.plus({ hours: random.between(3, 6), minutes: random.int(60), seconds: random.int(60) });
  }

  // Folders that look like archive content but are not runs: a reader that took them would count too much.
  const ignoredFolders = ['run=garbage', 'tmp'];
  for (const folder of ignoredFolders) files.push(ignoredFolderFile(random, folder, runTime));

  const kindCounts = Object.fromEntries(DEMO_LINE_KINDS.map((k) => [k, 0])) as Record<DemoLineKind, number>;
  for (const run of runs) for (const k of run.kinds) kindCounts[k]++;
  return { runs, files, ignoredFolders, kindCounts };
}

/** How a run makes its events: stamped a few minutes after it starts. */
interface RunEvents {
  etlTstamp: () => string;
  newEvent: () => Event;
}

/**
 * The lines of one run, a line of the given kind in each slot. Its events that later runs may
 * enrich again are added to `earlierEvents`.
 */
function generateRunLines(
  random: Random,
  runTime: DateTime,
  kinds: readonly DemoLineKind[],
  earlierEvents: Event[],
): Line[] {
  // A batch enrich job stamps its events within a minute or two, a few minutes after the run starts.
  const etlBase = runTime.toMillis() + random.between(3, 15) * 60_000;
  const etlTstamp = (): string => tstamp(etlBase + random.int(90_000));
  const gen: RunEvents = { etlTstamp, newEvent: () => makeEvent(random, runTime.toMillis(), etlTstamp()) };

  const lines: (Line | undefined)[] = kinds.map(() => undefined);
  const runEvents: Event[] = [];
  // First the lines that stand on their own, then those that copy one of them.
  kinds.forEach((kind, i) => {
    const line = standaloneLine(random, kind, gen, runEvents);
    if (line !== undefined) lines[i] = line;
  });
  kinds.forEach((kind, i) => {
    const line = copiedLine(random, kind, gen, runEvents, earlierEvents);
    if (line !== undefined) lines[i] = line;
  });
  // A loop, not push(...runEvents): a spread of 100k+ arguments overflows the call stack.
  for (const e of runEvents) earlierEvents.push(e);

  return lines.map((l) => {
    if (l === undefined) throw new Error('internal: a line slot was not filled');
    return l;
  });
}

/** A line of a kind that stands on its own (a fresh event goes to `runEvents`); undefined for the others. */
function standaloneLine(
  random: Random,
  kind: DemoLineKind,
  gen: RunEvents,
  runEvents: Event[],
): Line | undefined {
  switch (kind) {
    case 'fresh':
    case 'crlf': {
      const e = gen.newEvent();
      runEvents.push(e);
      return { text: e.fields.join('\t'), kind };
    }
    case 'noFingerprint': {
      const e = gen.newEvent();
      e.fields[EVENT_FINGERPRINT_INDEX] = '';
      return { text: e.fields.join('\t'), kind };
    }
    case 'truncated': {
      // A line cut off mid-field, as a partially written object ends.
      const text = gen.newEvent().fields.join('\t');
      const cut = text.split('\t', random.between(8, ENRICHED_COLUMN_COUNT - 2)).join('\t').length;
      return { text: text.slice(0, cut - random.int(3)), kind };
    }
    case 'extraField': {
      // An unescaped tab in a free-text field.
      const e = gen.newEvent();
      e.fields[30] = `${e.fields[30] ?? ''}\tpart 2`;
      return { text: e.fields.join('\t'), kind };
    }
    case 'badEventId': {
      const e = gen.newEvent();
      e.fields[EVENT_ID_INDEX] = random.pick(BAD_EVENT_IDS);
      return { text: e.fields.join('\t'), kind };
    }
    case 'badEtlTstamp': {
      const e = gen.newEvent();
      e.fields[ETL_TSTAMP_INDEX] = random.pick(BAD_ETL_TSTAMPS);
      return { text: e.fields.join('\t'), kind };
    }
    default:
      return undefined;
  }
}

/** A line of a kind that copies an event of this run or an earlier one; undefined for the others. */
function copiedLine(
  random: Random,
  kind: DemoLineKind,
  gen: RunEvents,
  runEvents: readonly Event[],
  earlierEvents: readonly Event[],
): Line | undefined {
  switch (kind) {
    case 'exactDuplicate': {
      // The same line twice in one run (a retried task's output kept twice).
      const e = random.pick(runEvents);
      return { text: e.fields.join('\t'), kind };
    }
    case 'laterRunDuplicate': {
      // The same event (same id and fingerprint) enriched again by a later run.
      const fields = [...random.pick(earlierEvents).fields];
      fields[ETL_TSTAMP_INDEX] = gen.etlTstamp();
      return { text: fields.join('\t'), kind };
    }
    case 'otherFingerprint': {
      // An event id seen before with a different payload: a distinct manifest key.
      const source = random.pick(earlierEvents.length > 0 && random.chance(0.5) ? earlierEvents : runEvents);
      const e = gen.newEvent();
      e.fields[EVENT_ID_INDEX] = source.eventId;
      return { text: e.fields.join('\t'), kind };
    }
    default:
      return undefined;
  }
}

/** The files of run number `r`: its lines in 1-3 files of rotating encodings, an empty file, a marker. */
function runFiles(
  random: Random,
  folder: string,
  runLines: readonly Line[],
  r: number,
  isLastRun: boolean,
): DemoFile[] {
  const files: DemoFile[] = [];
  const fileCount = Math.min(runLines.length, random.between(1, 3));
  const chunkSizes = splitTotal(random, runLines.length, fileCount, 1);
  let offset = 0;
  chunkSizes.forEach((size, j) => {
    const chunk = runLines.slice(offset, offset + size);
    offset += size;
    const encoding = ENCODINGS[(r + j) % ENCODINGS.length] ?? 'none';
    const base = r === 1 && j === fileCount - 1 ? `enriched-${pad5(j)}` : `part-${pad5(j)}`;
    const name = encoding === 'none' ? base : encoding === 'gz' ? `${base}.gz` : `${base}.gzip`;
    let text = chunk.map((l) => `${l.text}${l.kind === 'crlf' ? '\r\n' : '\n'}`).join('');
    // Leave one file without a final line end; a reader must still yield its last line.
    if (isLastRun && j === fileCount - 1 && chunk.at(-1)?.kind !== 'crlf') text = text.slice(0, -1);
    files.push({
      path: `${folder}/${name}`,
      compression: encoding === 'none' ? 'none' : 'gzip',
      text,
      lineCount: chunk.length,
      role: 'data',
    });
  });
  if (r % 3 === 1) {
    files.push({
      path: `${folder}/part-${pad5(fileCount)}`,
      compression: 'none',
      text: '',
      lineCount: 0,
      role: 'empty',
    });
  }
  if (r % 2 === 0) {
    files.push({ path: `${folder}/_SUCCESS`, compression: 'none', text: '', lineCount: 0, role: 'marker' });
  }
  return files;
}

/** A file of events in a folder that is not a run. */
function ignoredFolderFile(random: Random, folder: string, runTime: DateTime): DemoFile {
  const stray = Array.from({ length: 10 }, () =>
    makeEvent(random, runTime.toMillis(), tstamp(runTime.toMillis())),
  );
  return {
    path: `${folder}/part-00000`,
    compression: 'none',
    text: stray.map((e) => `${e.fields.join('\t')}\n`).join(''),
    lineCount: stray.length,
    role: 'ignored',
  };
}

function makeEvent(random: Random, runMillis: number, etlTstamp: string): Event {
  const fields = [...TEMPLATE];
  const app = random.pick(APPS);
  const [path, title] = random.pick(PAGES);
  const [event, eventName] = random.pick(EVENTS);
  const host = HOSTS[app];
  // Collected in the hours before the run; the device clock a little earlier.
  const collector = runMillis - random.int(3 * 3600_000);
  const created = collector - random.int(2000);
  const sent = created + random.int(500);
  const eventId = random.uuidV4();
  const fingerprint = random.hex(32);
  fields[0] = app;
  fields[ETL_TSTAMP_INDEX] = etlTstamp;
  fields[3] = tstamp(collector);
  fields[4] = tstamp(created);
  fields[5] = event;
  fields[EVENT_ID_INDEX] = eventId;
  fields[13] = `${random.between(2, 223)}.${random.int(256)}.${random.int(256)}.x`;
  fields[14] = String(random.int(2 ** 31));
  fields[15] = random.uuidV4();
  fields[16] = String(random.between(1, 40));
  fields[17] = random.uuidV4();
  fields[29] = `https://${host}${path}`;
  fields[30] = title;
  fields[32] = 'https';
  fields[33] = host;
  fields[34] = '443';
  fields[35] = path;
  if (event === 'struct') {
    fields[53] = 'checkout';
    fields[54] = random.pick(['add-to-basket', 'remove-from-basket', 'pay']);
  }
  if (event === 'page_ping') {
    fields[73] = '0';
    fields[74] = String(random.int(200));
    fields[75] = String(random.int(3000));
    fields[76] = String(random.int(5000));
  }
  fields[119] = tstamp(sent);
  fields[123] = random.uuidV4();
  fields[124] = tstamp(collector - (sent - created));
  fields[126] = eventName;
  fields[EVENT_FINGERPRINT_INDEX] = fingerprint;
  return { fields, eventId, fingerprint };
}

/** Decides which kind each line slot of each run holds; every kind occurs at least once. */
function assignKinds(random: Random, total: number, sizes: number[]): DemoLineKind[][] {
  const share = (fraction: number, min: number): number => Math.max(min, Math.round(total * fraction));
  const malformed = share(0.01, 4);
  const quotas: [DemoLineKind, number][] = [
    ['noFingerprint', share(0.02, 1)],
    ['exactDuplicate', share(0.01, 1)],
    ['laterRunDuplicate', share(0.01, 1)],
    ['otherFingerprint', share(0.005, 1)],
    ['crlf', share(0.005, 1)],
    ['truncated', Math.ceil(malformed / 4)],
    ['extraField', Math.ceil(malformed / 4)],
    ['badEventId', Math.ceil(malformed / 4)],
    ['badEtlTstamp', Math.ceil(malformed / 4)],
  ];
  const kinds = sizes.map((n) => Array.from({ length: n }, (): DemoLineKind => 'fresh'));
  // Free slots per run, shuffled; the first slot of each run stays fresh so every run has a source line.
  const free = sizes.map((n) => random.shuffle(Array.from({ length: n - 1 }, (_, i) => i + 1)));
  for (const [kind, count] of quotas) {
    for (let k = 0; k < count; k++) {
      // Later-run duplicates need an earlier run.
      const first = kind === 'laterRunDuplicate' ? 1 : 0;
      const r = first + random.int(sizes.length - first);
      const slot = free[r]?.pop();
      if (slot === undefined) throw new Error('internal: too few lines for the requested mix');
      (kinds[r] as DemoLineKind[])[slot] = kind;
    }
  }
  return kinds;
}

/** Splits `total` into `parts` random sizes of at least `min` each (near-even, +-40%). */
function splitTotal(random: Random, total: number, parts: number, min: number): number[] {
  const weights = Array.from({ length: parts }, () => 0.6 + random.next() * 0.8);
  const sum = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.max(min, Math.floor((w / sum) * total)));
  let diff = total - sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; diff !== 0; i = (i + 1) % parts) {
    const size = sizes[i] as number;
    if (diff > 0) {
      sizes[i] = size + 1;
      diff--;
    } else if (size > min) {
      sizes[i] = size - 1;
      diff++;
    }
  }
  return sizes;
}

/** `yyyy-MM-dd HH:mm:ss.SSS` in UTC (the ISO form, reshaped: far cheaper than luxon per line). */
function tstamp(millis: number): string {
  return new Date(millis).toISOString().slice(0, 23).replace('T', ' ');
}

function pad5(n: number): string {
  return String(n).padStart(5, '0');
}
