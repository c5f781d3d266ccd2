package com.snowplowanalytics.populator

import java.time.Instant
import java.util.concurrent.{ConcurrentHashMap, Executors}

import scala.collection.JavaConverters._
import scala.collection.mutable
import scala.concurrent.{Await, ExecutionContext, Future}
import scala.concurrent.duration.Duration

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.Path
import org.apache.spark.{SparkContext, TaskContext}
import org.apache.spark.rdd.RDD
import org.apache.spark.scheduler.{SparkListener, SparkListenerExecutorMetricsUpdate, SparkListenerTaskEnd}
import org.apache.spark.sql.SparkSession
import org.apache.spark.util.LongAccumulator

import com.snowplowanalytics.populator.generated.Contract

/** Shuffle key: a manifest key, or the statistics of one run riding in the same shuffle. */
sealed trait ShuffleKey extends Product with Serializable
final case class KeyOf(eventId: String, fingerprint: String) extends ShuffleKey
final case class RunOf(run: Int) extends ShuffleKey

/** Shuffle value, merged associatively by [[Job.merge]]. */
sealed trait ShuffleValue extends Product with Serializable

/** Where a key occurred: its earliest own etl_tstamp and, for `--etl-time run`, the runs it was in. */
final case class Occurrences(minEventEtl: Long, runs: Set[Int]) extends ShuffleValue

/**
 * Line counts of one run; `minEtl` is over its valid lines (Long.MaxValue if none). `unreadable`
 * lists the run's files that could not be read to its end: few, so they ride along here.
 */
final case class RunStats(
  lines: Long = 0,
  badFieldCount: Long = 0,
  badEventId: Long = 0,
  badEtlTstamp: Long = 0,
  noFingerprint: Long = 0,
  valid: Long = 0,
  minEtl: Long = Long.MaxValue,
  unreadable: Vector[UnreadableFile] = Vector.empty
) extends ShuffleValue {
  def +(o: RunStats): RunStats = RunStats(
    lines + o.lines,
    badFieldCount + o.badFieldCount,
    badEventId + o.badEventId,
    badEtlTstamp + o.badEtlTstamp,
    noFingerprint + o.noFingerprint,
    valid + o.valid,
    math.min(minEtl, o.minEtl),
    unreadable ++ o.unreadable
  )
  def bad: Long = badFieldCount + badEventId + badEtlTstamp
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

/** The job: check the table, list and select runs, read + classify + dedupe in one pass, write, report. */
object Job {

  /** Rough enriched-line sizes, only to size write partitions at ~KeysPerWritePartition keys. */
  private val BytesPerLinePlain = 1500L
  private val BytesPerLineCompressed = 250L
  private val KeysPerWritePartition = 10000L
  private val MaxWritePartitions = 20000
  private val BytesPerReadPartition = 128L * 1024 * 1024

  def merge(a: ShuffleValue, b: ShuffleValue): ShuffleValue = (a, b) match {
    case (x: Occurrences, y: Occurrences) => Occurrences(math.min(x.minEventEtl, y.minEventEtl), x.runs ++ y.runs)
    case (x: RunStats, y: RunStats)       => x + y
    case _                                => throw new IllegalStateException(s"cannot merge $a and $b")
  }

  /**
   * Classifies every line of a group of files; bad lines go to the bad-rows sink as they are met.
   * A file that cannot be read to its end keeps the lines read before the failure, gets one
   * UNREADABLE_FILE bad row and is listed in its run's statistics; the task goes on.
   */
  def readPartition(
    files: Seq[ArchiveFile],
    runIndex: Map[String, Int],
    mode: EtlTimeMode,
    conf: Configuration,
    output: String,
    partition: Int,
    onFileDone: () => Unit
  ): Iterator[(ShuffleKey, ShuffleValue)] = {
    val sink = new ArchiveReader.BadRowSink(output, partition, conf)
    Option(TaskContext.get()).foreach(_.addTaskCompletionListener[Unit](_ => sink.close()))
    // Mutable tallies on the hot path; they become immutable RunStats once the partition is read.
    final class Tally {
      var lines, badFieldCount, badEventId, badEtlTstamp, noFingerprint, valid = 0L
      var minEtl = Long.MaxValue
      val unreadable = Vector.newBuilder[UnreadableFile]
      def stats: RunStats = RunStats(lines, badFieldCount, badEventId, badEtlTstamp, noFingerprint, valid, minEtl, unreadable.result())
    }
    val tallies = mutable.LinkedHashMap.empty[Int, Tally]
    val records = files.iterator.flatMap { file =>
      val run = runIndex(file.runId)
      val t = tallies.getOrElseUpdate(run, new Tally)
      val runs = if (mode == EtlTimeMode.Run) Set(run) else Set.empty[Int]
      val lines = new ArchiveReader.Lines(file.path, conf)
      Option(TaskContext.get()).foreach(_.addTaskCompletionListener[Unit](_ => lines.close()))
      lines.flatMap { line =>
        t.lines += 1
        Classify.classify(line) match {
          case Classified.Bad(reason) =>
            sink.write(Report.badRowJson(line, reason, file.path))
            reason match {
              case Contract.BadRowReasons.fieldCount => t.badFieldCount += 1
              case Contract.BadRowReasons.eventId    => t.badEventId += 1
              case _                                 => t.badEtlTstamp += 1
            }
            Iterator.empty
          case Classified.NoFingerprint(_, etl) =>
            t.noFingerprint += 1
            t.minEtl = math.min(t.minEtl, etl)
            Iterator.empty
          case Classified.Valid(eventId, fingerprint, etl) =>
            t.valid += 1
            t.minEtl = math.min(t.minEtl, etl)
            Iterator.single((KeyOf(eventId, fingerprint): ShuffleKey) -> (Occurrences(etl, runs): ShuffleValue))
        }
      } ++ {
        lines.failure.foreach { error =>
          val u = UnreadableFile(file.path, error, lines.linesRead)
          t.unreadable += u
          sink.write(Report.unreadableFileJson(u))
        }
        onFileDone()
        Iterator.empty
      }
    }
    records ++ { sink.close(); tallies.iterator.map { case (run, t) => (RunOf(run): ShuffleKey) -> (t.stats: ShuffleValue) } }
  }

  /** How many tasks can write at once: the real divisor of the write budget. */
  def concurrentTaskSlots(sc: SparkContext): Int = {
    val conf = sc.getConf
    val taskCpus = math.max(1, conf.getInt("spark.task.cpus", 1))
    val dynamicMax =
      if (!sc.isLocal && conf.getBoolean("spark.dynamicAllocation.enabled", false))
        conf.getOption("spark.dynamicAllocation.maxExecutors").map(_.toLong).filter(_ < Int.MaxValue)
      else None
    val cores = dynamicMax.fold(sc.defaultParallelism.toLong)(_ * conf.getInt("spark.executor.cores", 1))
    math.max(1L, cores / taskCpus).toInt
  }

  private def compressed(path: String): Boolean = path.endsWith(".gz") || path.endsWith(".gzip")

  /** Runs the whole job and returns its summary; throws [[InputError]] on user-fixable problems. */
  def run(spark: SparkSession, config: JobConfig, log: String => Unit): Summary = {
    val startedAt = Instant.now()
    val sc = spark.sparkContext
    val conf = new Configuration(sc.hadoopConfiguration)
    ArchiveReader.registerCodecs(conf)

    val outputPath = new Path(config.output)
    val outFs = ArchiveReader.fileSystem(outputPath, conf)
    outFs.mkdirs(outputPath)
    // Leftovers of an earlier attempt with the same output would be mistaken for this run's.
    outFs.delete(new Path(outputPath, Contract.Output.summary), false)
    outFs.delete(new Path(outputPath, Contract.Output.badRows), true)

    val filesAcc = sc.longAccumulator("filesRead")
    val writtenAcc = sc.longAccumulator("written")
    val presentAcc = sc.longAccumulator("alreadyPresent")
    val conflictAcc = sc.longAccumulator("conflicting")
    val expiredAcc = sc.longAccumulator("expired")
    val throttledAcc = sc.longAccumulator("throttledRetries")
    val live = new LiveAccumulators(Seq(filesAcc, writtenAcc, presentAcc, conflictAcc, expiredAcc, throttledAcc))
    sc.addSparkListener(live)
    @volatile var phase = Progress.Listing
    @volatile var runsSelected = 0L
    @volatile var uniqueKeys: Option[Long] = None
    def snapshot(): Progress = Progress(
      phase = phase,
      runsSelected = runsSelected,
      filesRead = live.value(filesAcc),
      uniqueKeys = uniqueKeys,
      written = live.value(writtenAcc),
      alreadyPresent = live.value(presentAcc),
      conflicting = live.value(conflictAcc),
      expired = live.value(expiredAcc),
      throttledRetries = live.value(throttledAcc)
    )
    val reporter = new ProgressReporter(config.output, conf, () => snapshot(), log)
    reporter.start()

    try {
      // 1. The table, before anything is read.
      val table = ManifestWriter.describeTable(config.table, config.region, config.dynamodbEndpoint)
      val writeRate = config.writeRate.getOrElse(table.defaultWriteRate)

      // 2. Runs and files.
      val listing = ArchiveReader.listRuns(config.archive, conf)
      listing.ignored.foreach(p => log(s"warning: ignoring $p (not a run=${Contract.RunIdFormat} folder)"))
      if (listing.runs.isEmpty)
        throw new InputError(
          s"archive ${config.archive} has no run=${Contract.RunIdFormat} folders" +
            (if (listing.ignored.nonEmpty) s" (found only: ${listing.ignored.take(5).mkString(", ")})" else "") +
            ": pass the enriched archive folder itself"
        )
      val selected = listing.runs.filter { case (id, _) => RunSelection.selected(id, config.since, config.until) }
      if (selected.isEmpty)
        throw new InputError(
          s"none of the ${listing.runs.size} runs in ${config.archive} (${listing.runs.head._1} .. ${listing.runs.last._1}) is selected by " +
            List(config.since.map(s => s"${Contract.Args.since} $s"), config.until.map(u => s"${Contract.Args.until} $u")).flatten.mkString(" and ") +
            s": widen ${Contract.Args.since}/${Contract.Args.until}"
        )
      runsSelected = selected.size.toLong
      val files = {
        val pool = Executors.newFixedThreadPool(math.min(16, selected.size))
        implicit val ec: ExecutionContext = ExecutionContext.fromExecutorService(pool)
        try Await.result(Future.traverse(selected) { case (id, path) => Future(ArchiveReader.listFiles(id, path, conf)) }, Duration.Inf).flatten
        finally pool.shutdown()
      }
      val bytesRead = files.map(_.bytes).sum
      log(s"selected ${selected.size} of ${listing.runs.size} runs: ${files.size} files, $bytesRead bytes")

      // 3. One read of every file of every selected run; dedupe and per-run statistics in one shuffle.
      phase = Progress.Reading
      val parallelism = math.max(1, sc.defaultParallelism)
      val readPartitions = math.max(2 * parallelism, math.ceil(bytesRead.toDouble / BytesPerReadPartition).toInt)
      val bins = ArchiveReader.pack(files, readPartitions)
      val estimatedLines = files.map(f => f.bytes / (if (compressed(f.path)) BytesPerLineCompressed else BytesPerLinePlain)).sum
      val writePartitions =
        math.min(MaxWritePartitions.toLong, math.max(parallelism.toLong, math.ceil(estimatedLines.toDouble / KeysPerWritePartition).toLong)).toInt
      val runIds = selected.map(_._1)
      val runIndex = runIds.zipWithIndex.toMap
      val confB = sc.broadcast(new SerializableConfiguration(conf))
      val mode = config.etlTimeMode
      val output = config.output

      val tagged: RDD[(ShuffleKey, ShuffleValue)] =
        sc.parallelize(bins, math.max(1, bins.size)).mapPartitionsWithIndex { (pid, groups) =>
          val c = confB.value.value
          groups.flatMap(g => readPartition(g, runIndex, mode, c, output, pid, () => filesAcc.add(1)))
        }
      val reduced = tagged.reduceByKey(merge _, writePartitions)

      val perPartition = reduced
        .mapPartitions { it =>
          var keys = 0L
          val stats = mutable.ArrayBuffer.empty[(Int, RunStats)]
          it.foreach {
            case (_: KeyOf, _)              => keys += 1
            case (RunOf(r), s: RunStats)    => stats += r -> s
            case (k, v)                     => throw new IllegalStateException(s"unexpected $k -> $v")
          }
          Iterator.single((keys, stats.toVector))
        }
        .collect()
      val statsByRun: Map[Int, RunStats] =
        perPartition.iterator.flatMap(_._2).toVector.groupBy(_._1).map { case (r, ss) => r -> ss.map(_._2).reduce(_ + _) }
      val totals = statsByRun.values.foldLeft(RunStats())(_ + _)
      val keyCount = perPartition.map(_._1).sum
      uniqueKeys = Some(keyCount)
      val runMin: Map[Int, Long] = statsByRun.collect { case (r, s) if s.minEtl != Long.MaxValue => r -> s.minEtl }
      log(s"read ${totals.lines} lines: ${totals.valid} valid, ${totals.noFingerprint} without fingerprint, ${totals.bad} bad, $keyCount unique keys")
      // Sorted: the concatenation order depends on how the shuffle merged the runs' statistics.
      val unreadable = totals.unreadable.sortBy(_.path)
      unreadable.foreach { u =>
        log(
          s"warning: could not read ${u.path} to its end (${u.error}); its ${u.linesRead} line(s) before the failure were kept, " +
            s"the rest of the archive is read as usual: check or replace the file and re-run with ${Contract.Args.since}/${Contract.Args.until} covering its run"
        )
      }

      // One corrupt file is the archive's problem; no file readable at all is the setup's (permissions,
      // a wrong kind of file everywhere): stop before writing anything.
      if (files.nonEmpty && unreadable.size == files.size && totals.lines == 0)
        throw new InputError(
          s"none of the ${files.size} file(s) of the selected runs could be read (first: ${unreadable.head.path}: ${unreadable.head.error}): " +
            "check read access to the archive (s3:GetObject, file permissions) and that it holds enriched TSV files, plain or gzip"
        )

      // 4. Writes, paced to one budget shared by the tasks that really run at once.
      phase = Progress.Writing
      val writerTasks = math.max(1, math.min(writePartitions, concurrentTaskSlots(sc)))
      val settings = WriteSettings(
        table = config.table,
        region = config.region,
        endpoint = config.dynamodbEndpoint,
        ratePerTask = writeRate.toDouble / writerTasks,
        maxInFlight = config.maxInFlight
      )
      log(s"writing $keyCount keys at $writeRate WCU/s over $writerTasks concurrent tasks ($writePartitions partitions)")
      val runMinB = sc.broadcast(runMin)
      val ttlSeconds = config.ttlSeconds
      val skipExpired = config.skipExpired
      val now = config.now.getOrElse(Instant.now().getEpochSecond)
      val counts = reduced
        .mapPartitions { it =>
          var expired = 0L
          val items = it.flatMap {
            case (KeyOf(eventId, fingerprint), Occurrences(minEventEtl, runs)) =>
              val etl = mode match {
                case EtlTimeMode.Run   => runs.iterator.map(runMinB.value).min
                case EtlTimeMode.Event => minEventEtl
              }
              val item = ManifestItem(eventId, fingerprint, etl, etl + ttlSeconds)
              if (skipExpired && item.ttl <= now) { expired += 1; expiredAcc.add(1); None }
              else Some(item)
            case _ => None
          }
          var reported = WriteCounts()
          val c = ManifestWriter.writePartition(
            settings,
            items,
            now => {
              // Deltas, from the task thread: heartbeats carry them to the driver while the task runs.
              writtenAcc.add(now.written - reported.written)
              presentAcc.add(now.alreadyPresent - reported.alreadyPresent)
              conflictAcc.add(now.conflicting - reported.conflicting)
              throttledAcc.add(now.throttledRetries - reported.throttledRetries)
              reported = now
            }
          )
          Iterator.single(c.copy(expired = expired))
        }
        .collect()
        .foldLeft(WriteCounts())(_ + _)

      val counters = Counters(
        linesRead = totals.lines,
        bad = totals.bad,
        noFingerprint = totals.noFingerprint,
        expired = counts.expired,
        duplicatesInSelection = totals.valid - keyCount,
        written = counts.written,
        alreadyPresent = counts.alreadyPresent,
        conflicting = counts.conflicting
      )
      val summary = Summary(
        archive = config.archive,
        table = config.table,
        region = config.region,
        etlTimeMode = config.etlTimeMode.name,
        since = config.since,
        until = config.until,
        ttlSeconds = config.ttlSeconds,
        skipExpired = config.skipExpired,
        writeRate = writeRate,
        writerTasks = writerTasks,
        runsSelected = runIds,
        runsExcluded = listing.runs.size - selected.size,
        ignoredPaths = listing.ignored,
        filesRead = files.size.toLong,
        bytesRead = bytesRead,
        uniqueKeys = keyCount,
        counters = counters,
        unreadableFiles = unreadable,
        badByReason = Map(
          Contract.BadRowReasons.fieldCount -> totals.badFieldCount,
          Contract.BadRowReasons.eventId -> totals.badEventId,
          Contract.BadRowReasons.etlTstamp -> totals.badEtlTstamp
        ),
        throttledRetries = counts.throttledRetries,
        otherRetries = counts.otherRetries,
        startedAt = startedAt,
        finishedAt = Instant.now()
      )
      if (!counters.balanced) throw new IllegalStateException(s"counters do not add up: $counters")
      Report.writeFile(config.output, Contract.Output.summary, Report.summaryJson(summary), conf)
      reporter.finish(
        snapshot().copy(
          phase = Progress.Done,
          filesRead = files.size.toLong,
          written = counts.written,
          alreadyPresent = counts.alreadyPresent,
          conflicting = counts.conflicting,
          expired = counts.expired,
          throttledRetries = counts.throttledRetries
        )
      )
      summary
    } catch {
      case e: Throwable =>
        reporter.finish(snapshot().copy(phase = Progress.Failed, message = Some(Main.describe(e))))
        throw e
    } finally sc.removeSparkListener(live)
  }
}
