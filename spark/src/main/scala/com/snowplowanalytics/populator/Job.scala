package com.snowplowanalytics.populator

import java.time.Instant
import java.util.concurrent.{ConcurrentHashMap, Executors}

import scala.collection.JavaConverters._
import scala.collection.mutable
import scala.concurrent.{Await, ExecutionContext, Future}
import scala.concurrent.duration.Duration

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.Path
import org.apache.spark.{Aggregator, SparkContext, TaskContext}
import org.apache.spark.rdd.{RDD, ShuffledRDD}
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
    // One listener for the whole task, closing whatever is open when it ends (a failure, a kill):
    // one per file would keep every file's reader, and its buffers, alive until the task ends,
    // and a task can read 100,000 small files. A file read to its end closes itself.
    var current: Option[ArchiveReader.Lines] = None
    Option(TaskContext.get()).foreach(_.addTaskCompletionListener[Unit] { _ =>
      current.foreach(_.close())
      sink.close()
    })
    // Built once per task: a factory per file costs a scan of the codec classes each time.
    val codecs = new org.apache.hadoop.io.compress.CompressionCodecFactory(conf)
    // Mutable tallies on the hot path; they become immutable RunStats once the partition is read.
    final class Tally {
      var lines, noFingerprint, valid = 0L
      val bad = new Array[Long](Classify.LineReasons.size)
      var minEtl = Long.MaxValue
      val unreadable = Vector.newBuilder[UnreadableFile]
      def stats: RunStats = RunStats(lines, bad.toVector, noFingerprint, valid, minEtl, unreadable.result())
    }
    val reasonIndex: Map[String, Int] = Classify.LineReasons.zipWithIndex.toMap
    val tallies = mutable.LinkedHashMap.empty[Int, Tally]
    val records = files.iterator.flatMap { file =>
      val run = runIndex(file.runId)
      val t = tallies.getOrElseUpdate(run, new Tally)
      val runs = if (mode == EtlTimeMode.Run) Set(run) else Set.empty[Int]
      val lines = new ArchiveReader.Lines(file.path, conf, codecs)
      current = Some(lines)
      lines.flatMap { line =>
        t.lines += 1
        // The reader cut a line over MaxLineBytes: bad whatever its start looks like.
        val classified = if (lines.tooLong) Classified.Bad(Contract.BadRowReasons.lineTooLong) else Classify.classify(line)
        classified match {
          case Classified.Bad(reason) =>
            sink.write(
              if (reason == Contract.BadRowReasons.lineTooLong) Report.tooLongLineJson(line, file.path)
              else Report.badRowJson(line, reason, file.path)
            )
            t.bad(reasonIndex(reason)) += 1
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
        current = None
        onFileDone()
        Iterator.empty
      }
    }
    records ++ { sink.close(); tallies.iterator.map { case (run, t) => (RunOf(run): ShuffleKey) -> (t.stats: ShuffleValue) } }
  }

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

  /** Runs the whole job and returns its summary; throws [[InputError]] on user-fixable problems. */
  def run(spark: SparkSession, config: JobConfig, log: String => Unit): Summary = {
    val startedAt = Instant.now()
    val sc = spark.sparkContext
    val conf = new Configuration(sc.hadoopConfiguration)
    ArchiveReader.registerCodecs(conf)

    val outputPath = new Path(config.output)
    val outFs = ArchiveReader.fileSystem(outputPath, conf)
    // What the resumed run recorded, read before anything in the output folder changes (it may be the same folder).
    val recorded: Option[Recorded] = config.resumeFrom.map { from =>
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
    val plan = recorded.flatMap(_.plan)
    outFs.mkdirs(outputPath)
    if (!config.resumeFrom.exists(f => new Path(f) == outputPath)) outFs.delete(new Path(outputPath, Contract.Output.resume), true)
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
    val executorsFile = new Path(outputPath, Contract.Output.executors).toString
    val executorSet = new ExecutorSetPublisher(sc, executorsFile, conf, log)

    try {
      // 1. The table, before anything is read.
      val table = ManifestWriter.describeTable(config.table, config.region, config.dynamodbEndpoint)
      val writeRate = config.writeRate
      executorSet.start()
      log(
        s"table ${config.table}: " + (if (table.onDemand) s"on-demand${table.onDemandMaxWcu.fold("")(m => s", at most $m WCU/s")}" else s"${table.provisionedWcu} WCU provisioned") +
          s"; write budget $writeRate WCU/s"
      )

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
      val (filesDigest, filesPerRun) = Resume.selection(files)
      plan.foreach { p =>
        val diff = Resume.selectionDifferences(p, filesDigest, filesPerRun)
        if (diff.nonEmpty)
          throw new InputError(
            s"cannot resume ${config.resumeFrom.getOrElse("")}: the archive changed since it ran (${diff.take(5).mkString("; ")}${if (diff.size > 5) s"; and ${diff.size - 5} more" else ""}): start a new run"
          )
      }
      log(s"selected ${selected.size} of ${listing.runs.size} runs: ${files.size} files, $bytesRead bytes")

      // 3. One read of every file of every selected run; dedupe and per-run statistics in one shuffle.
      phase = Progress.Reading
      val parallelism = math.max(1, sc.defaultParallelism)
      val readPartitions = math.max(2 * parallelism, math.ceil(bytesRead.toDouble / BytesPerReadPartition).toInt)
      val bins = ArchiveReader.pack(files, readPartitions)
      val estimatedLines = files.map(f => f.bytes / (if (compressed(f.path)) BytesPerLineCompressed else BytesPerLinePlain)).sum
      val slots = concurrentTaskSlots(sc, executorSet.current)
      // A resume keeps the resumed run's partitions: its records count keys partition by partition.
      val writePartitions = plan.fold(writePartitionCount(estimatedLines, slots))(_.writePartitions)
      val now = plan.fold(config.now.getOrElse(Instant.now().getEpochSecond))(_.now)
      Resume.writePlan(config.output, ResumePlan(Resume.inputs(config), writePartitions, now, filesDigest, filesPerRun), conf)
      val inherited: Map[Int, PartitionRecord] = if (plan.isDefined) recorded.fold(Map.empty[Int, PartitionRecord])(_.partitions) else Map.empty
      if (plan.isDefined) Resume.writeInherited(config.output, inherited.values, conf)
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
      // A partition's keys come sorted ([[ShuffleKeyOrder.ordering]]), placed by a JVM-independent hash:
      // the order progress records count in, the same in a resumed run.
      val reduced = new ShuffledRDD[ShuffleKey, ShuffleValue, ShuffleValue](tagged, KeyPartitioner(writePartitions))
        .setAggregator(new Aggregator[ShuffleKey, ShuffleValue, ShuffleValue](identity, merge _, merge _))
        .setMapSideCombine(true)
        .setKeyOrdering(ShuffleKeyOrder.ordering)

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
      log(s"read ${totals.lines} lines: ${totals.valid} valid, ${totals.noFingerprint} without fingerprint, ${totals.badTotal} bad, $keyCount unique keys")
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

      // 4. Writes, paced to one budget split between the executor JVMs by their cores; the tasks
      // of one JVM share its limiter.
      phase = Progress.Writing
      val published = executorSet.current
      val writerTasks = math.max(1, math.min(writePartitions, concurrentTaskSlots(sc, published)))
      val settings = WriteSettings(
        table = config.table,
        region = config.region,
        endpoint = config.dynamodbEndpoint,
        writeRate = writeRate.toDouble,
        maxInFlight = config.maxInFlight,
        executors = published,
        executorsFile = Some(executorsFile),
        runKey = s"${config.output}@${startedAt.toEpochMilli}"
      )
      log(
        s"writing $keyCount keys at $writeRate WCU/s over ${published.cores.size} executor(s), $writerTasks concurrent tasks ($writePartitions partitions)"
      )
      val runMinB = sc.broadcast(runMin)
      val ttlSeconds = config.ttlSeconds
      val skipExpired = config.skipExpired
      val skipPresent = config.skipPresent
      val inheritedB = sc.broadcast(inherited)
      val results = reduced
        .mapPartitionsWithIndex { (partition, it) =>
          val resumed = inheritedB.value.get(partition)
          // A retried attempt goes on from where the failed one recorded it got (which started from `resumed`).
          val earlier =
            if (Option(TaskContext.get()).exists(_.attemptNumber() > 0)) Resume.loadRecord(output, partition, confB.value.value).filter(_.covered > 0)
            else None
          val before = earlier.orElse(resumed)
          val carriedPrev = resumed.fold(Outcomes())(_.outcomes)
          val earlierAttempts = earlier.fold(Outcomes())(e => e.outcomes - carriedPrev)
          if (resumed.exists(_.done)) Iterator.single((WriteCounts(), Outcomes(), Outcomes(), LookupCounts()))
          else {
          val tracker = new PartitionTracker(partition, before)
          val skips = new Resume.Skips(before.fold(Vector.empty[(Long, Long)])(_.ranges))
          ResumeRecorder.register(tracker, output, () => confB.value.value)
          var expired = 0L
          var index = -1L
          var lastIndex = -1L
          val keyed = it.flatMap {
            case (k @ KeyOf(eventId, fingerprint), Occurrences(minEventEtl, runs)) =>
              index += 1
              if (index == 0) {
                if (before.exists(b => b.firstKey.exists(_ != k)))
                  throw new IllegalStateException(
                    s"the progress records of write partition $partition do not match its keys (recorded first key ${before.flatMap(_.firstKey)}, found $k): start the run afresh"
                  )
                tracker.first(k)
              }
              if (skips.contains(index)) None
              else {
                val etl = mode match {
                  case EtlTimeMode.Run   => runs.iterator.map(runMinB.value).min
                  case EtlTimeMode.Event => minEventEtl
                }
                val item = ManifestItem(eventId, fingerprint, etl, etl + ttlSeconds)
                if (skipExpired && item.ttl <= now) { expired += 1; expiredAcc.add(1); tracker.settle(index, Settled.Expired); None }
                else Some((index, item))
              }
            case _ => None
          }
          // --skip-present: the keys the table holds are settled here, without a put.
          val filter = if (skipPresent) Some(new PresentFilter(keyed, ManifestWriter.presentLookup(settings), (i, outcome) => {
            tracker.settle(i, outcome)
            outcome match {
              case Settled.Present  => presentAcc.add(1)
              case Settled.Conflict => conflictAcc.add(1)
              case _                => ()
            }
          })) else None
          val items = filter.getOrElse(keyed).map { case (i, item) => lastIndex = i; item }
          var reported = WriteCounts()
          val c = try ManifestWriter.writePartition(
            settings,
            items,
            now => {
              // Deltas, from the task thread: heartbeats carry them to the driver while the task runs.
              writtenAcc.add(now.written - reported.written)
              presentAcc.add(now.alreadyPresent - reported.alreadyPresent)
              conflictAcc.add(now.conflicting - reported.conflicting)
              throttledAcc.add(now.throttledRetries - reported.throttledRetries)
              reported = now
            },
            () => confB.value.value,
            onSettled = (i, outcome) => tracker.settle(i, outcome),
            indexOfLast = () => lastIndex
          )
          catch {
            case e: Throwable =>
              scala.util.Try(ResumeRecorder.close(tracker, done = false))
              throw e
          }
          // The last record, `done`, before the task reports success; a failure records how far it got.
          ResumeRecorder.close(tracker, done = true)
          val looked = filter.fold(LookupCounts())(_.counts)
          Iterator.single((c.copy(expired = expired, alreadyPresent = c.alreadyPresent + looked.skippedPresent, conflicting = c.conflicting + looked.skippedConflicting), carriedPrev, earlierAttempts, looked))
          }
        }
        .collect()
      val counts = {
        val own = results.iterator.map(_._1).foldLeft(WriteCounts())(_ + _)
        val e = results.iterator.map(_._3).foldLeft(Outcomes())(_ + _)
        own.copy(written = own.written + e.written, alreadyPresent = own.alreadyPresent + e.alreadyPresent, conflicting = own.conflicting + e.conflicting, expired = own.expired + e.expired)
      }
      val carried = results.iterator.map(_._2).foldLeft(Outcomes())(_ + _) +
        // Partitions the resumed run finished were not run again: their outcomes are the records'.
        inherited.valuesIterator.filter(_.done).map(_.outcomes).foldLeft(Outcomes())(_ + _)
      val partitionsDone = inherited.valuesIterator.count(_.done)

      val looked = results.iterator.map(_._4).foldLeft(LookupCounts())(_ + _)
      val counters = Counters(
        linesRead = totals.lines,
        bad = totals.badTotal,
        noFingerprint = totals.noFingerprint,
        expired = counts.expired + carried.expired,
        duplicatesInSelection = totals.valid - keyCount,
        written = counts.written + carried.written,
        alreadyPresent = counts.alreadyPresent + carried.alreadyPresent,
        conflicting = counts.conflicting + carried.conflicting
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
        writerExecutors = published.cores.size,
        writePartitions = writePartitions,
        runsSelected = runIds,
        runsExcluded = listing.runs.size - selected.size,
        ignoredPaths = listing.ignored,
        filesRead = files.size.toLong,
        bytesRead = bytesRead,
        uniqueKeys = keyCount,
        runEtlTimes = runMin.map { case (r, etl) => runIds(r) -> etl },
        counters = counters,
        unreadableFiles = unreadable,
        badByReason = totals.badByReason,
        throttledRetries = counts.throttledRetries,
        otherRetries = counts.otherRetries,
        longestWaitSeconds = counts.longestWaitNanos / 1e9,
        startedAt = startedAt,
        finishedAt = Instant.now(),
        resume = config.resumeFrom.map { from =>
          ResumeReport(from, carried, Outcomes(counts.written, counts.alreadyPresent, counts.conflicting, counts.expired), partitionsDone)
        },
        skipPresent = if (config.skipPresent) Some(looked) else None
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
    } finally {
      executorSet.stop()
      sc.removeSparkListener(live)
    }
  }
}
