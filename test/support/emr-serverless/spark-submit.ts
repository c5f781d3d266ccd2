/**
 * `sparkSubmitParameters` as EMR Serverless hands them to spark-submit (pure): the options a jar job
 * uses, with spark-submit's shorthands mapped to their properties, and the `spark-defaults`
 * classifications of the application and of the job run folded in underneath.
 */

export interface SparkSubmitConfig {
  /** `--class`; spark-submit would otherwise read the jar manifest's Main-Class. */
  mainClass?: string;
  /** Spark properties, later sources winning: application spark-defaults < job spark-defaults < --conf. */
  conf: Record<string, string>;
  /** `--jars`: more jars for the classpath (comma-separated URIs). */
  jars: string[];
}

/** spark-submit shorthands that are plain Spark properties. */
const SHORTHANDS: Readonly<Record<string, string>> = {
  '--driver-memory': 'spark.driver.memory',
  '--driver-cores': 'spark.driver.cores',
  '--executor-memory': 'spark.executor.memory',
  '--executor-cores': 'spark.executor.cores',
  '--num-executors': 'spark.executor.instances',
  '--name': 'spark.app.name',
  '--driver-java-options': 'spark.driver.extraJavaOptions',
  '--driver-class-path': 'spark.driver.extraClassPath',
};

/** Options spark-submit knows that the emulator does not carry out, with the reason. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  '--packages':
    'needs Maven Central (on EMR Serverless a VPC with internet access): ship a self-contained jar',
  '--repositories':
    'needs Maven repositories (on EMR Serverless a VPC with internet access): ship a self-contained jar',
  '--exclude-packages': 'only goes with --packages: ship a self-contained jar',
  '--files': 'is not carried out by this emulator',
  '--archives': 'is not carried out by this emulator',
  '--py-files': 'is not carried out by this emulator (it runs jar jobs)',
  '--properties-file': 'is not carried out by this emulator: use --conf',
  '--master': 'is set by EMR Serverless',
  '--deploy-mode': 'is set by EMR Serverless',
};

/** Splits a command line as a POSIX shell does (quotes, backslashes); no expansion. */
export function splitCommandLine(text: string): string[] | { problem: string } {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string))
        word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== undefined) return { problem: `unterminated ${quote} quote in sparkSubmitParameters` };
  if (inWord) words.push(word);
  return words;
}

/** Properties of the `spark-defaults` classifications of a configuration list (nested ones ignored). */
export function sparkDefaults(configurations: readonly unknown[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of configurations ?? []) {
    if (typeof c !== 'object' || c === null) continue;
    const { classification, properties } = c as { classification?: unknown; properties?: unknown };
    if (classification !== 'spark-defaults' || typeof properties !== 'object' || properties === null)
      continue;
    for (const [k, v] of Object.entries(properties)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/**
 * Parses `sparkSubmitParameters` over the given defaults; the error reads as spark-submit's would,
 * since on EMR Serverless a bad parameter fails the job run (the API takes any string).
 */
export function parseSparkSubmitParameters(
  parameters: string | undefined,
  defaults: Readonly<Record<string, string>> = {},
): { ok: true; config: SparkSubmitConfig } | { ok: false; problem: string } {
  const words = splitCommandLine(parameters ?? '');
  if (!Array.isArray(words)) return { ok: false, problem: `Error: ${words.problem}` };
  const conf: Record<string, string> = { ...defaults };
  const jars: string[] = [];
  let mainClass: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const raw = words[i] as string;
    // spark-submit accepts `--opt value` and `--opt=value`.
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const option = eq > 0 ? raw.slice(0, eq) : raw;
    const inline = eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? words[++i];
    if (!option.startsWith('-')) {
      return {
        ok: false,
        problem: `Error: unexpected argument '${raw}' in sparkSubmitParameters (the jar is the entryPoint)`,
      };
    }
    if (option === '--verbose' || option === '-v' || option === '--supervise') continue;
    const reason = UNSUPPORTED[option];
    if (reason !== undefined) return { ok: false, problem: `Error: ${option} ${reason}` };
    const v = value();
    if (v === undefined) return { ok: false, problem: `Error: Missing argument for option '${option}'.` };
    if (option === '--class') mainClass = v;
    else if (option === '--conf' || option === '-c') {
      const at = v.indexOf('=');
      if (at <= 0) return { ok: false, problem: `Error: Spark config without '=': ${v}` };
      conf[v.slice(0, at)] = v.slice(at + 1);
    } else if (option === '--jars') jars.push(...v.split(',').filter((j) => j.trim() !== ''));
    else if (SHORTHANDS[option] !== undefined) conf[SHORTHANDS[option]] = v;
    else return { ok: false, problem: `Error: Unrecognized option: ${option}` };
  }
  const extra = conf['spark.jars'];
  if (extra !== undefined) jars.push(...extra.split(',').filter((j) => j.trim() !== ''));
  return { ok: true, config: { ...(mainClass === undefined ? {} : { mainClass }), conf, jars } };
}
