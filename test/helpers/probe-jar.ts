/**
 * Test fixture: a tiny Java program (no Spark) built into a jar with the JDK's javac and jar, so the
 * EMR Serverless emulator's tests can run real job runs in about a second: it prints what it sees
 * (master, Spark properties, environment: names and non-secret values only), ticks on stderr for
 * `sleepMs`, then exits with `exitCode` (after an exception line when not 0). With `hang` as the
 * fourth argument its shutdown hook blocks, so only SIGKILL ends it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const PROBE_MAIN_CLASS = 'EmulatorProbe';

const SOURCE = `
public class EmulatorProbe {
  public static void main(String[] args) throws Exception {
    long sleepMs = Long.parseLong(args[0]);
    int exitCode = Integer.parseInt(args[1]);
    String message = args.length > 2 ? args[2] : "probe failed";
    if (args.length > 3 && args[3].equals("hang")) {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        System.err.println("probe: ignoring the shutdown");
        try { Thread.sleep(600_000); } catch (InterruptedException e) { }
      }));
    }
    System.out.println("probe: master=" + System.getProperty("spark.master"));
    System.out.println("probe: executor.cores=" + System.getProperty("spark.executor.cores"));
    System.out.println("probe: custom.conf=" + System.getProperty("spark.probe.custom"));
    System.out.println("probe: role key present=" + (System.getenv("AWS_ACCESS_KEY_ID") != null));
    System.out.println("probe: region=" + System.getenv("AWS_REGION"));
    System.out.println("probe: dynamodb endpoint=" + System.getenv("AWS_ENDPOINT_URL_DYNAMODB"));
    System.out.println("probe: driver env=" + System.getenv("PROBE_ENV"));
    System.out.println("probe: caller env=" + System.getenv("AWS_PROFILE"));
    System.out.flush();
    long end = System.currentTimeMillis() + sleepMs;
    int tick = 0;
    while (System.currentTimeMillis() < end) {
      System.err.println("probe: tick " + (tick++));
      System.err.flush();
      Thread.sleep(100);
    }
    if (exitCode != 0) {
      System.err.println("java.lang.IllegalStateException: " + message);
      System.err.println("\\tat EmulatorProbe.main(EmulatorProbe.java:1)");
      System.exit(exitCode);
    }
    System.out.println("probe: done");
  }
}
`;

/** Builds the probe jar in `dir` and returns its path. */
export function buildProbeJar(dir: string, env: NodeJS.ProcessEnv = process.env): string {
  const src = path.join(dir, 'probe-src');
  const classes = path.join(dir, 'probe-classes');
  mkdirSync(src, { recursive: true });
  mkdirSync(classes, { recursive: true });
  writeFileSync(path.join(src, `${PROBE_MAIN_CLASS}.java`), SOURCE);
  const bin = (tool: string): string => (env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', tool) : tool);
  execFileSync(bin('javac'), ['--release', '17', '-d', classes, path.join(src, `${PROBE_MAIN_CLASS}.java`)], {
    env,
  });
  const jar = path.join(dir, 'probe.jar');
  execFileSync(bin('jar'), ['cf', jar, '-C', classes, '.'], { env });
  return jar;
}
