package com.snowplowanalytics.populator

import java.nio.charset.StandardCharsets
import java.time.{Duration, Instant}

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.Path
import org.json4s._
import org.json4s.jackson.JsonMethods

import com.snowplowanalytics.populator.generated.Contract

/** The counters of DESIGN 3.6; `balanced` is the identity the CLI and the tests check. */
final case class Counters(
  linesRead: Long,
  bad: Long,
  noFingerprint: Long,
  expired: Long,
  duplicatesInSelection: Long,
  written: Long,
  alreadyPresent: Long,
  conflicting: Long
) {
  def balanced: Boolean =
    linesRead == bad + noFingerprint + expired + duplicatesInSelection + written + alreadyPresent + conflicting
}

/** The live state `progress.json` shows. */
final case class Progress(
  phase: String,
  runsSelected: Long = 0,
  filesRead: Long = 0,
  uniqueKeys: Option[Long] = None,
  written: Long = 0,
  alreadyPresent: Long = 0,
  conflicting: Long = 0,
  expired: Long = 0,
  throttledRetries: Long = 0,
  message: Option[String] = None
)

object Progress {
  val Listing = "listing"
  val Reading = "reading"
  val Writing = "writing"
  val Done = "done"
  val Failed = "failed"
}

/** The final `summary.json`. */
final case class Summary(
  archive: String,
  table: String,
  region: String,
  etlTimeMode: String,
  since: Option[String],
  until: Option[String],
  ttlSeconds: Long,
  skipExpired: Boolean,
  writeRate: Int,
  writerTasks: Int,
  writerExecutors: Int,
  writePartitions: Int,
  runsSelected: Seq[String],
  runsExcluded: Int,
  ignoredPaths: Seq[String],
  filesRead: Long,
  bytesRead: Long,
  uniqueKeys: Long,
  runEtlTimes: Map[String, Long],
  unreadableFiles: Seq[UnreadableFile],
  counters: Counters,
  badByReason: Map[String, Long],
  throttledRetries: Long,
  otherRetries: Long,
  longestWaitSeconds: Double,
  startedAt: Instant,
  finishedAt: Instant,
  resume: Option[ResumeReport] = None,
  skipPresent: Option[LookupCounts] = None,
  imported: Option[ImportReport] = None
) {
  def durationSeconds: Double = Duration.between(startedAt, finishedAt).toMillis / 1000.0
}

/**
 * What a resume took over from the run it resumed (`recorded`: the outcomes of the keys its
 * records showed settled, never sent again) and what it did itself (`thisRun`); the summary's
 * counters are their sum. `writesSaved`: the puts the records spared.
 */
final case class ResumeReport(resumedFrom: String, recorded: Outcomes, thisRun: Outcomes, partitionsDone: Int) {
  def writesSaved: Long = recorded.puts
}

/** JSON rendering (json4s, provided by Spark) and writing through the Hadoop FileSystem API. */
object Report {

  private def str(o: Option[String]): JValue = o.fold[JValue](JNull)(JString(_))

  def progressJson(p: Progress, at: Instant): String =
    JsonMethods.compact(
      JObject(
        List(
          "phase" -> JString(p.phase),
          "runsSelected" -> JLong(p.runsSelected),
          "filesRead" -> JLong(p.filesRead),
          "uniqueKeys" -> p.uniqueKeys.fold[JValue](JNull)(JLong(_)),
          "written" -> JLong(p.written),
          "alreadyPresent" -> JLong(p.alreadyPresent),
          "conflicting" -> JLong(p.conflicting),
          "expired" -> JLong(p.expired),
          "throttledRetries" -> JLong(p.throttledRetries),
          "updatedAt" -> JString(at.toString)
        ) ++ p.message.map(m => "message" -> JString(m))
      )
    )

  def summaryJson(s: Summary): String = {
    val c = s.counters
    JsonMethods.pretty(
      JObject(
        "status" -> JString("SUCCEEDED"),
        "archive" -> JString(s.archive),
        "table" -> JString(s.table),
        "region" -> JString(s.region),
        "etlTimeMode" -> JString(s.etlTimeMode),
        "since" -> str(s.since),
        "until" -> str(s.until),
        "ttlSeconds" -> JLong(s.ttlSeconds),
        "skipExpired" -> JBool(s.skipExpired),
        "writeRate" -> JInt(s.writeRate),
        "writerTasks" -> JInt(s.writerTasks),
        "writerExecutors" -> JInt(s.writerExecutors),
        "writePartitions" -> JInt(s.writePartitions),
        "runsSelected" -> JArray(s.runsSelected.map(JString(_)).toList),
        "runsExcluded" -> JInt(s.runsExcluded),
        "ignoredPaths" -> JArray(s.ignoredPaths.map(JString(_)).toList),
        "filesRead" -> JLong(s.filesRead),
        "bytesRead" -> JLong(s.bytesRead),
        "uniqueKeys" -> JLong(s.uniqueKeys),
        // `verify` needs each run's etlTime in run mode, and a sample cannot tell a run's earliest etl_tstamp.
        "runEtlTimes" -> JObject(s.runEtlTimes.toList.sortBy(_._1).map { case (run, etl) => run -> JLong(etl) }),
        "unreadableFiles" -> JArray(
          s.unreadableFiles.map(u => JObject("path" -> JString(u.path), "error" -> JString(u.error), "linesRead" -> JLong(u.linesRead))).toList
        ),
        "counters" -> JObject(
          "linesRead" -> JLong(c.linesRead),
          "bad" -> JLong(c.bad),
          "noFingerprint" -> JLong(c.noFingerprint),
          "expired" -> JLong(c.expired),
          "duplicatesInSelection" -> JLong(c.duplicatesInSelection),
          "written" -> JLong(c.written),
          "alreadyPresent" -> JLong(c.alreadyPresent),
          "conflicting" -> JLong(c.conflicting)
        ),
        "badByReason" -> JObject(s.badByReason.toList.sortBy(_._1).map { case (k, v) => k -> JLong(v) }),
        "throttledRetries" -> JLong(s.throttledRetries),
        "otherRetries" -> JLong(s.otherRetries),
        // The longest one item took from its first put to the answer that settled it, through retries.
        "longestWaitSeconds" -> JDouble(s.longestWaitSeconds),
        "startedAt" -> JString(s.startedAt.toString),
        "finishedAt" -> JString(s.finishedAt.toString),
        "durationSeconds" -> JDouble(s.durationSeconds),
        "resume" -> s.resume.fold[JValue](JNull) { r =>
          def o(x: Outcomes): JValue =
            JObject("written" -> JLong(x.written), "alreadyPresent" -> JLong(x.alreadyPresent), "conflicting" -> JLong(x.conflicting), "expired" -> JLong(x.expired))
          JObject(
            "resumedFrom" -> JString(r.resumedFrom),
            "writesSaved" -> JLong(r.writesSaved),
            "partitionsAlreadyDone" -> JInt(r.partitionsDone),
            "recorded" -> o(r.recorded),
            "thisRun" -> o(r.thisRun)
          )
        },
        // --skip-present: keys looked up, those found (counted above as already present or
        // conflicting, never put), the BatchGetItem requests and their throttled retries.
        "skipPresent" -> s.skipPresent.fold[JValue](JNull) { l =>
          JObject(
            "lookedUp" -> JLong(l.lookedUp),
            "skippedPresent" -> JLong(l.skippedPresent),
            "skippedConflicting" -> JLong(l.skippedConflicting),
            "putsSaved" -> JLong(l.skippedPresent + l.skippedConflicting),
            "requests" -> JLong(l.lookups),
            "throttledRetries" -> JLong(l.throttled)
          )
        },
        // Import mode: the files written for ImportTable (bytes uncompressed: what it bills); null for puts.
        "import" -> s.imported.fold[JValue](JNull) { i =>
          JObject(
            "folder" -> JString(i.folder),
            "objects" -> JInt(i.objects),
            "items" -> JLong(i.items),
            "bytes" -> JLong(i.bytes),
            "compressedBytes" -> JLong(i.compressedBytes)
          )
        }
      )
    )
  }

  /** One bad-rows line: `{"line": ..., "reason": ..., "sourceFile": ...}`. */
  def badRowJson(line: String, reason: String, sourceFile: String): String =
    JsonMethods.compact(JObject("line" -> JString(line), "reason" -> JString(reason), "sourceFile" -> JString(sourceFile)))

  /**
   * The bad-rows line of a line over MaxLineBytes: only its first BadRowLinePrefixChars characters
   * (a binary file read as text is one huge "line"; nobody wants megabytes of it in a bad row).
   */
  def tooLongLineJson(line: String, sourceFile: String): String =
    JsonMethods.compact(
      JObject(
        "line" -> JString(line.take(Contract.BadRowLinePrefixChars)),
        "reason" -> JString(Contract.BadRowReasons.lineTooLong),
        "sourceFile" -> JString(sourceFile),
        "truncated" -> JBool(true)
      )
    )

  /** The bad-rows line of a file that could not be read to its end; it is not a line, so `line` is null. */
  def unreadableFileJson(u: UnreadableFile): String =
    JsonMethods.compact(
      JObject(
        "line" -> JNull,
        "reason" -> JString(Contract.BadRowReasons.unreadableFile),
        "sourceFile" -> JString(u.path),
        "error" -> JString(u.error),
        "linesRead" -> JLong(u.linesRead)
      )
    )

  /** The one-line human summary printed to stdout at the end. */
  def humanLine(s: Summary): String = {
    val c = s.counters
    f"populator: ${s.runsSelected.size} run(s), ${s.filesRead} file(s), ${c.linesRead} lines -> ${c.written} written, " +
      f"${c.alreadyPresent} already present, ${c.conflicting} conflicting, ${c.expired} expired, " +
      f"${c.duplicatesInSelection} duplicates, ${c.noFingerprint} without fingerprint, ${c.bad} bad; " +
      (if (s.unreadableFiles.nonEmpty) s"${s.unreadableFiles.size} unreadable file(s); " else "") +
      f"${s.throttledRetries} throttled retries; ${s.durationSeconds}%.1f s" +
      s.resume.fold("")(r => s"; resumed from ${r.resumedFrom}: ${r.writesSaved} writes saved") +
      s.imported.fold("")(i => s"; import files: ${i.objects} object(s), ${i.bytes} bytes (${i.compressedBytes} compressed) in ${i.folder}")
  }

  /**
   * Writes `<output>/<name>`. On S3 a PUT replaces the object atomically; elsewhere the content goes
   * to a temporary file renamed over the target, so a reader never sees half a document.
   */
  def writeFile(output: String, name: String, content: String, conf: Configuration): Unit = {
    val target = new Path(output, name)
    val fs = target.getFileSystem(conf)
    fs.setWriteChecksum(false)
    val bytes = content.getBytes(StandardCharsets.UTF_8)
    if (fs.getScheme.startsWith("s3")) {
      val out = fs.create(target, true)
      try out.write(bytes)
      finally out.close()
    } else {
      val tmp = new Path(output, s".$name.${java.util.UUID.randomUUID()}.tmp")
      val out = fs.create(tmp, true)
      try out.write(bytes)
      finally out.close()
      if (!fs.rename(tmp, target)) {
        fs.delete(target, false)
        if (!fs.rename(tmp, target)) throw new java.io.IOException(s"cannot write $target")
      }
    }
  }
}

/**
 * Rewrites `<output>/progress.json` every `periodMillis` from a driver thread, from `snapshot`.
 * Failures to write are logged, never fatal: progress is a convenience.
 */
final class ProgressReporter(output: String, conf: Configuration, snapshot: () => Progress, log: String => Unit, periodMillis: Long = 2000L) {
  @volatile private var running = true
  private val lock = new Object

  private def writeNow(p: Progress): Unit =
    try Report.writeFile(output, Contract.Output.progress, Report.progressJson(p, Instant.now()), conf)
    catch { case e: Exception => log(s"warning: cannot write progress to $output: ${e.getMessage}") }

  private val thread = new Thread(() => {
    while (running) {
      val p = snapshot()
      writeNow(p)
      log(s"progress: ${p.phase} runs=${p.runsSelected} files=${p.filesRead} uniqueKeys=${p.uniqueKeys.fold("?")(_.toString)} " +
        s"written=${p.written} alreadyPresent=${p.alreadyPresent} conflicting=${p.conflicting} expired=${p.expired} throttledRetries=${p.throttledRetries}")
      lock.synchronized { if (running) lock.wait(periodMillis) }
    }
  }, "populator-progress")
  thread.setDaemon(true)

  def start(): Unit = thread.start()

  /** Stops the thread and writes the last state (phase done or failed). */
  def finish(last: Progress): Unit = {
    running = false
    lock.synchronized(lock.notifyAll())
    thread.join(10000)
    writeNow(last)
  }
}
