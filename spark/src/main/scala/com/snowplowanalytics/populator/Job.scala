package com.snowplowanalytics.populator

import java.time.Instant
import java.util.concurrent.ConcurrentHashMap

import scala.jdk.CollectionConverters._

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.Path
import org.apache.spark.SparkContext
import org.apache.spark.scheduler.{SparkListener, SparkListenerExecutorMetricsUpdate, SparkListenerTaskEnd}
import org.apache.spark.sql.SparkSession
import org.apache.spark.util.LongAccumulator

import com.snowplowanalytics.populator.generated.Contract

/** Shuffle key: a manifest key, or the statistics of one run riding in the same shuffle. */
sealed trait ShuffleKey extends Product with Serializable
final case class KeyOf(eventId: String, fingerprint: String) extends ShuffleKey
final case class RunOf(run: Int) extends ShuffleKey

/** Shuffle value, merged associatively by [[ReadStage.merge]]. */
sealed trait ShuffleValue extends Product with Serializable

/** Where a key occurred: its earliest own etl_tstamp and, for `--etl-time run`, the runs it was in. */
final case class Occurrences(minEventEtl: Long, runs: Set[Int]) extends ShuffleValue

/**
 * Line counts of one run; `bad` counts per reason, in the order of [[Classify.LineReasons]];
 * `minEtl` is over its valid lines (Long.MaxValue if none). `unreadable` lists the run's files that
 * could not be read to its end: few, so they ride along here.
 */
final case class RunStats(
  lines: Long = 0,
  bad: Vector[Long] = RunStats.NoBad,
  noFingerprint: Long = 0,
  valid: Long = 0,
  minEtl: Long = Long.MaxValue,
  unreadable: Vector[UnreadableFile] = Vector.empty
) extends ShuffleValue {
  def +(o: RunStats): RunStats = RunStats(
    lines + o.lines,
    bad.zip(o.bad).map { case (a, b) => a + b },
    noFingerprint + o.noFingerprint,
    valid + o.valid,
    math.min(minEtl, o.minEtl),
    unreadable ++ o.unreadable
  )
  def badTotal: Long = bad.sum
  def badByReason: Map[String, Long] = Classify.LineReasons.zip(bad).toMap
}

object RunStats {
  val NoBad: Vector[Long] = Vector.fill(Classify.LineReasons.size)(0L)
}

/**
 * Live totals of long accumulators on the driver: what finished tasks merged, plus the partial
 * values running tasks report in executor heartbeats (a task's results otherwise arrive only when it
 * ends). For progress only; final counts come from task results.
 */
final class LiveAccumulators(accs: Seq[LongAccumulator]) extends SparkListener {
  private val ids = accs.map(_.id).toSet
  private val running = new ConcurrentHashMap[Long, Map[Long, Long]]()

  override def onExecutorMetricsUpdate(e: SparkListenerExecutorMetricsUpdate): Unit =
    e.accumUpdates.foreach { case (taskId, _, _, infos) =>
      val partial = infos.iterator.collect {
        case i if ids(i.id) => i.update.collect { case n: java.lang.Long => i.id -> n.longValue }
      }.flatten.toMap
      if (partial.nonEmpty) running.put(taskId, partial)
    }

  override def onTaskEnd(e: SparkListenerTaskEnd): Unit = { running.remove(e.taskInfo.taskId); () }

  def value(acc: LongAccumulator): Long = acc.value + running.values().asScala.iterator.map(_.getOrElse(acc.id, 0L)).sum
}


/**
 * The job's live counters and phase, for `progress.json`: accumulators (what finished tasks
 * merged, plus running tasks' partial values from heartbeats) and what the driver knows.
 */
final class JobTallies(sc: SparkContext) {
  val files: LongAccumulator = sc.longAccumulator("filesRead")
  val writes: WriteAccumulators = WriteAccumulators(
    written = sc.longAccumulator("written"),
    present = sc.longAccumulator("alreadyPresent"),
    conflicting = sc.longAccumulator("conflicting"),
    expired = sc.longAccumulator("expired"),
    throttled = sc.longAccumulator("throttledRetries")
  )
  private val live =
    new LiveAccumulators(Seq(files, writes.written, writes.present, writes.conflicting, writes.expired, writes.throttled))
  sc.addSparkListener(live)
  @volatile var phase: String = Progress.Listing
  @volatile var runsSelected = 0L
  @volatile var uniqueKeys: Option[Long] = None

  def snapshot(): Progress = Progress(
    phase = phase,
    runsSelected = runsSelected,
    filesRead = live.value(files),
    uniqueKeys = uniqueKeys,
    written = live.value(writes.written),
    alreadyPresent = live.value(writes.present),
    conflicting = live.value(writes.conflicting),
    expired = live.value(writes.expired),
    throttledRetries = live.value(writes.throttled)
  )

  def close(): Unit = sc.removeSparkListener(live)
}

/**
 * The job, as stages: the table is described, the runs selected ([[Discovery]]), every file read,
 * classified and deduplicated in one shuffle ([[ReadStage]]), the items written ([[WriteStage]]),
 * and the report written ([[Job.summaryOf]]).
 */
object Job {

  /** Rough enriched-line sizes, only to size write partitions at ~KeysPerWritePartition keys. */
  private val BytesPerLinePlain = 1500L
  private val BytesPerLineCompressed = 250L
  private val KeysPerWritePartition = 10000L
  private val MaxWritePartitions = 20000
  private val BytesPerReadPartition = 128L * 1024 * 1024

  /**
   * How many tasks can write at once: the cores of the executors the driver knows of over
   * `spark.task.cpus`. With dynamic allocation off (pinned executors, as the CLI submits to EMR)
   * the executors asked for (`spark.executor.instances` x `spark.executor.cores`) count even before
   * they have all registered; with it on, those registered.
   */
  def concurrentTaskSlots(sc: SparkContext, executors: ExecutorSet): Int = {
    val conf = sc.getConf
    val taskCpus = math.max(1, conf.getInt("spark.task.cpus", 1))
    val pinned =
      if (sc.isLocal || conf.getBoolean("spark.dynamicAllocation.enabled", false)) 0L
      else conf.getLong("spark.executor.instances", 0L) * conf.getInt("spark.executor.cores", 1)
    math.max(1L, math.max(executors.totalCores.toLong, pinned) / taskCpus).toInt
  }

  /**
   * Write partitions for about `estimatedKeys` keys: ~KeysPerWritePartition each, at least one per
   * slot, and a multiple of the slots, so that the last wave of tasks keeps every slot (and its
   * share of the budget) busy instead of leaving most executors idle while a few finish.
   */
  def writePartitionCount(estimatedKeys: Long, slots: Int): Int = {
    val wanted = math.max(slots.toLong, math.ceil(estimatedKeys.toDouble / KeysPerWritePartition).toLong)
    val rounded = (wanted + slots - 1) / slots * slots
    val capped = if (rounded <= MaxWritePartitions) rounded else math.max(slots.toLong, MaxWritePartitions.toLong / slots * slots)
    capped.toInt
  }

  private def compressed(path: String): Boolean = path.endsWith(".gz") || path.endsWith(".gzip")

  /**
   * What the resumed run recorded (its write plan checked against this run's inputs), read before
   * anything in the output folder changes: it may be the same folder.
   */
  private def resumed(config: JobConfig, conf: Configuration, log: String => Unit): Option[Recorded] =
    config.resumeFrom.map { from =>
      val r = Resume.load(from, conf)
      r.plan.foreach { plan =>
        val diff = Resume.inputDifferences(plan.inputs, Resume.inputs(config)) ++
          config.now.filter(_ != plan.now).map(n => s"${Contract.Args.now} was ${plan.now}, now $n")
        if (diff.nonEmpty)
          throw new InputError(s"cannot resume $from with other inputs: ${diff.mkString("; ")}: resume with the same inputs, or start a new run")
      }
      if (r.plan.isEmpty) log(s"warning: $from recorded no write plan (it stopped before writing): resuming sends every key")
      r
    }

  /** Clears what an earlier attempt with the same output left, which would be mistaken for this run's. */
  private def prepareOutput(config: JobConfig, conf: Configuration): Unit = {
    val outputPath = new Path(config.output)
    val outFs = ArchiveReader.fileSystem(outputPath, conf)
    outFs.mkdirs(outputPath)
    if (!config.resumeFrom.exists(f => new Path(f) == outputPath)) outFs.delete(new Path(outputPath, Contract.Output.resume), true)
    outFs.delete(new Path(outputPath, Contract.Output.summary), false)
    outFs.delete(new Path(outputPath, Contract.Output.badRows), true)
    ()
  }

  /** Runs the whole job and returns its summary; throws [[InputError]] on user-fixable problems. */
  def run(spark: SparkSession, config: JobConfig, log: String => Unit): Summary = {
    val startedAt = Instant.now()
    val sc = spark.sparkContext
    val conf = new Configuration(sc.hadoopConfiguration)
    ArchiveReader.registerCodecs(conf)
    val recorded = resumed(config, conf, log)
    prepareOutput(config, conf)

    val tallies = new JobTallies(sc)
    val reporter = new ProgressReporter(config.output, conf, () => tallies.snapshot(), log)
    reporter.start()
    val executorsFile = new Path(new Path(config.output), Contract.Output.executors).toString
    val executorSet = new ExecutorSetPublisher(sc, executorsFile, conf, log)
    try {
      // 1. The table, before anything is read; an import creates it: its folder is made ready instead.
      config.importTo match {
        case None         => describeTable(config, log)
        case Some(folder) => ImportStage.prepare(folder, conf, log)
      }
      executorSet.start()

      // 2. Runs and files.
      val selection = Discovery.select(config, conf, recorded.flatMap(_.plan), log)
      tallies.runsSelected = selection.selected.size.toLong

      // 3. One read of every file of every selected run; dedupe and per-run statistics in one shuffle.
      tallies.phase = Progress.Reading
      val reading = readAll(sc, config, conf, selection, recorded, executorSet, tallies, log)

      // 4. Conditional puts, or import files.
      tallies.phase = Progress.Writing
      val (written, planned, imported) = config.importTo match {
        case None =>
          val (w, p) = putAll(sc, config, reading, executorSet.current, executorsFile, startedAt, tallies, log)
          (w, p, None)
        case Some(folder) => importAll(sc, config, conf, folder, reading, executorSet.current, tallies, log)
      }

      // 5. The report.
      val summary = summaryOf(config, selection, reading.read, written, planned, startedAt, imported)
      if (!summary.counters.balanced) throw new IllegalStateException(s"counters do not add up: ${summary.counters}")
      Report.writeFile(config.output, Contract.Output.summary, Report.summaryJson(summary), conf)
      val c = written.counts
      reporter.finish(
        tallies.snapshot().copy(
          phase = Progress.Done,
          filesRead = selection.files.size.toLong,
          written = c.written,
          alreadyPresent = c.alreadyPresent,
          conflicting = c.conflicting,
          expired = c.expired,
          throttledRetries = c.throttledRetries
        )
      )
      summary
    } catch {
      case e: Throwable =>
        reporter.finish(tallies.snapshot().copy(phase = Progress.Failed, message = Some(Main.describe(e))))
        throw e
    } finally {
      executorSet.stop()
      tallies.close()
    }
  }

  private def describeTable(config: JobConfig, log: String => Unit): Unit = {
    val table = ManifestWriter.describeTable(config.table, config.region, config.dynamodbEndpoint)
    log(
      s"table ${config.table}: " + (if (table.onDemand) s"on-demand${table.onDemandMaxWcu.fold("")(m => s", at most $m WCU/s")}" else s"${table.provisionedWcu} WCU provisioned") +
        s"; write budget ${config.writeRate} WCU/s"
    )
  }

  /**
   * What the read stage gave, with what the writes need from its planning: the partitions, "now"
   * for expiry, the resumed run's records, the broadcast Hadoop configuration.
   */
  final case class Reading(
    read: ReadResult,
    writePartitions: Int,
    now: Long,
    inherited: Map[Int, PartitionRecord],
    confB: org.apache.spark.broadcast.Broadcast[SerializableConfiguration]
  )

  /**
   * Reads the selection into write partitions (a resume keeps the resumed run's). Puts record
   * their write plan first and get their keys sorted (the order progress records count in); an
   * import records none (it is never resumed key by key) and keeps the shuffle's hash order.
   */
  private def readAll(
    sc: SparkContext,
    config: JobConfig,
    conf: Configuration,
    selection: Selection,
    recorded: Option[Recorded],
    executorSet: ExecutorSetPublisher,
    tallies: JobTallies,
    log: String => Unit
  ): Reading = {
    val plan = recorded.flatMap(_.plan)
    val readPartitions = math.max(2 * math.max(1, sc.defaultParallelism), math.ceil(selection.bytes.toDouble / BytesPerReadPartition).toInt)
    val estimatedLines = selection.files.map(f => f.bytes / (if (compressed(f.path)) BytesPerLineCompressed else BytesPerLinePlain)).sum
    // A resume keeps the resumed run's partitions: its records count keys partition by partition.
    val writePartitions = plan.fold(writePartitionCount(estimatedLines, concurrentTaskSlots(sc, executorSet.current)))(_.writePartitions)
    val now = plan.fold(config.now.getOrElse(Instant.now().getEpochSecond))(_.now)
    val puts = config.importTo.isEmpty
    if (puts) Resume.writePlan(config.output, ResumePlan(Resume.inputs(config), writePartitions, now, selection.filesDigest, selection.filesPerRun), conf)
    val inherited: Map[Int, PartitionRecord] = if (plan.isDefined) recorded.fold(Map.empty[Int, PartitionRecord])(_.partitions) else Map.empty
    if (plan.isDefined) Resume.writeInherited(config.output, inherited.values, conf)
    val confB = sc.broadcast(new SerializableConfiguration(conf))
    val read = ReadStage.run(
      sc, ArchiveReader.pack(selection.files, readPartitions), selection.runIds, config.etlTimeMode, confB, config.output, writePartitions, tallies.files,
      sorted = puts
    )
    tallies.uniqueKeys = Some(read.keyCount)
    log(s"read ${read.totals.lines} lines: ${read.totals.valid} valid, ${read.totals.noFingerprint} without fingerprint, ${read.totals.badTotal} bad, ${read.keyCount} unique keys")
    read.unreadable.foreach(u => log(ReadStage.unreadableWarning(u)))
    ReadStage.requireSomethingRead(selection.files, read)
    Reading(read, writePartitions, now, inherited, confB)
  }

  /**
   * Conditional puts, paced to one budget split between the executor JVMs by their cores; the
   * tasks of one JVM share its limiter.
   */
  private def putAll(
    sc: SparkContext,
    config: JobConfig,
    reading: Reading,
    published: ExecutorSet,
    executorsFile: String,
    startedAt: Instant,
    tallies: JobTallies,
    log: String => Unit
  ): (WriteResult, WritePlanned) = {
    val read = reading.read
    val writerTasks = math.max(1, math.min(reading.writePartitions, concurrentTaskSlots(sc, published)))
    val settings = WriteSettings(
      table = config.table,
      region = config.region,
      endpoint = config.dynamodbEndpoint,
      writeRate = config.writeRate.toDouble,
      maxInFlight = config.maxInFlight,
      executors = published,
      executorsFile = Some(executorsFile),
      runKey = s"${config.output}@${startedAt.toEpochMilli}"
    )
    log(s"writing ${read.keyCount} keys at ${config.writeRate} WCU/s over ${published.cores.size} executor(s), $writerTasks concurrent tasks (${reading.writePartitions} partitions)")
    val writer = new PartitionWriter(
      settings, sc.broadcast(reading.inherited), sc.broadcast(read.runMin), reading.confB, config.output, config.etlTimeMode, config.ttlSeconds,
      config.skipExpired, config.skipPresent, reading.now, tallies.writes
    )
    (WriteStage.run(read.keys, writer, reading.inherited), WritePlanned(writerTasks, published.cores.size, reading.writePartitions))
  }

  /**
   * Import files instead of puts ([[ImportStage]]): `written` counts the items in the files; nothing
   * is already present or conflicting (the table does not exist yet).
   */
  private def importAll(
    sc: SparkContext,
    config: JobConfig,
    conf: Configuration,
    folder: String,
    reading: Reading,
    published: ExecutorSet,
    tallies: JobTallies,
    log: String => Unit
  ): (WriteResult, WritePlanned, Option[ImportReport]) = {
    val read = reading.read
    val slots = concurrentTaskSlots(sc, published)
    val runMin = sc.broadcast(read.runMin)
    val result = ImportStage.run(
      read.keys, read.keyCount, slots, folder,
      temporary => new ImportPartitionWriter(temporary, config.importItemsPerObject, runMin, reading.confB, config.etlTimeMode, config.ttlSeconds, config.skipExpired, reading.now, tallies.writes),
      config.importItemsPerObject, conf, log
    )
    val r = result.report
    log(s"import files: ${r.objects} object(s), ${r.items} items, ${r.bytes} bytes (${r.compressedBytes} compressed) in $folder")
    val written = WriteResult(WriteCounts(written = r.items, expired = result.expired), Outcomes(), 0, LookupCounts())
    (written, WritePlanned(math.min(result.plannedObjects, slots), published.cores.size, result.plannedObjects), Some(r))
  }

  /** How the write stage was laid out, for the report. */
  final case class WritePlanned(writerTasks: Int, writerExecutors: Int, writePartitions: Int)

  /** The job's summary: what was selected, read and written (with a resumed run's records). */
  def summaryOf(
    config: JobConfig,
    selection: Selection,
    read: ReadResult,
    written: WriteResult,
    planned: WritePlanned,
    startedAt: Instant,
    imported: Option[ImportReport] = None
  ): Summary = {
    val (totals, counts, carried) = (read.totals, written.counts, written.carried)
    val counters = Counters(
      linesRead = totals.lines,
      bad = totals.badTotal,
      noFingerprint = totals.noFingerprint,
      expired = counts.expired + carried.expired,
      duplicatesInSelection = totals.valid - read.keyCount,
      written = counts.written + carried.written,
      alreadyPresent = counts.alreadyPresent + carried.alreadyPresent,
      conflicting = counts.conflicting + carried.conflicting
    )
    Summary(
      archive = config.archive,
      table = config.table,
      region = config.region,
      etlTimeMode = config.etlTimeMode.name,
      since = config.since,
      until = config.until,
      ttlSeconds = config.ttlSeconds,
      skipExpired = config.skipExpired,
      writeRate = config.writeRate,
      writerTasks = planned.writerTasks,
      writerExecutors = planned.writerExecutors,
      writePartitions = planned.writePartitions,
      runsSelected = selection.runIds,
      runsExcluded = selection.listing.runs.size - selection.selected.size,
      ignoredPaths = selection.listing.ignored,
      filesRead = selection.files.size.toLong,
      bytesRead = selection.bytes,
      uniqueKeys = read.keyCount,
      runEtlTimes = read.runMin.map { case (r, etl) => selection.runIds(r) -> etl },
      counters = counters,
      unreadableFiles = read.unreadable,
      badByReason = totals.badByReason,
      throttledRetries = counts.throttledRetries,
      otherRetries = counts.otherRetries,
      longestWaitSeconds = counts.longestWaitNanos / 1e9,
      startedAt = startedAt,
      finishedAt = Instant.now(),
      resume = config.resumeFrom.map { from =>
        ResumeReport(from, carried, Outcomes(counts.written, counts.alreadyPresent, counts.conflicting, counts.expired), written.partitionsDone)
      },
      skipPresent = if (config.skipPresent) Some(written.looked) else None,
      imported = imported
    )
  }
}
