package com.snowplowanalytics.populator

import java.nio.charset.StandardCharsets
import java.security.MessageDigest
import java.util.concurrent.{ConcurrentHashMap, Executors, TimeUnit}

import scala.jdk.CollectionConverters._
import scala.concurrent.{Await, ExecutionContext, Future}
import scala.concurrent.duration.Duration
import scala.util.hashing.MurmurHash3

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.Path
import org.apache.spark.Partitioner
import org.json4s._
import org.json4s.jackson.JsonMethods

import com.snowplowanalytics.populator.generated.Contract

/**
 * Write partitions that do not depend on the JVM: a key's partition is a MurmurHash3 of its two
 * strings, so a resumed run (another JVM, maybe another cluster) puts every key where the run it
 * resumes did. A run's statistics go anywhere.
 */
final case class KeyPartitioner(partitions: Int) extends Partitioner {
  override def numPartitions: Int = partitions
  override def getPartition(key: Any): Int = key match {
    case KeyOf(e, f) => Math.floorMod(MurmurHash3.stringHash(f, MurmurHash3.stringHash(e, 0x5eed)), partitions)
    case RunOf(r)    => Math.floorMod(r, partitions)
    case other       => Math.floorMod(other.hashCode, partitions)
  }
}

object ShuffleKeyOrder {

  /** The order keys are written in within a partition (the order progress records count in). */
  val ordering: Ordering[ShuffleKey] = new Ordering[ShuffleKey] {
    override def compare(a: ShuffleKey, b: ShuffleKey): Int = (a, b) match {
      case (KeyOf(e1, f1), KeyOf(e2, f2)) => val c = e1.compareTo(e2); if (c != 0) c else f1.compareTo(f2)
      case (RunOf(r1), RunOf(r2))         => Integer.compare(r1, r2)
      case (_: RunOf, _: KeyOf)           => -1
      case (_: KeyOf, _: RunOf)           => 1
    }
  }
}

/** What happened to one key of a write partition. */
sealed trait Settled extends Product with Serializable
object Settled {
  case object Written extends Settled
  case object Present extends Settled
  case object Conflict extends Settled
  case object Expired extends Settled
}

/** The outcomes of a set of a partition's keys; they add up to the keys the set covers. */
final case class Outcomes(written: Long = 0, alreadyPresent: Long = 0, conflicting: Long = 0, expired: Long = 0) {
  def +(o: Outcomes): Outcomes = Outcomes(written + o.written, alreadyPresent + o.alreadyPresent, conflicting + o.conflicting, expired + o.expired)
  def -(o: Outcomes): Outcomes = Outcomes(written - o.written, alreadyPresent - o.alreadyPresent, conflicting - o.conflicting, expired - o.expired)
  def add(s: Settled): Outcomes = s match {
    case Settled.Written  => copy(written = written + 1)
    case Settled.Present  => copy(alreadyPresent = alreadyPresent + 1)
    case Settled.Conflict => copy(conflicting = conflicting + 1)
    case Settled.Expired  => copy(expired = expired + 1)
  }
  /** Keys that cost a put. */
  def puts: Long = written + alreadyPresent + conflicting
  def keys: Long = puts + expired
}

/**
 * How far one write partition got: the indices (in [[ShuffleKeyOrder.ordering]] of its keys) whose put
 * was answered, as sorted disjoint half-open ranges, with their outcomes; `firstKey` guards the
 * order; `done` when every key was settled.
 */
final case class PartitionRecord(partition: Int, done: Boolean, firstKey: Option[KeyOf], ranges: Vector[(Long, Long)], outcomes: Outcomes) {
  def covered: Long = ranges.iterator.map { case (a, b) => b - a }.sum
}

/**
 * The write plan of a run, recorded before its first put: what a resume must reproduce exactly
 * (the inputs, the partition count, "now" for expiry) and what it must find unchanged (the files).
 */
final case class ResumePlan(
  inputs: Map[String, String],
  writePartitions: Int,
  now: Long,
  filesDigest: String,
  runs: Map[String, (Long, Long)]
)

/** A recorded run: its plan, if it got that far, and its partitions' records. */
final case class Recorded(from: String, plan: Option[ResumePlan], partitions: Map[Int, PartitionRecord])

/**
 * Set of settled indices of one running partition plus their outcomes, updated from the put
 * answers' threads; starts from what an earlier run recorded for the partition.
 */
final class PartitionTracker(val partition: Int, inherited: Option[PartitionRecord]) {
  private val ranges = new java.util.TreeMap[java.lang.Long, java.lang.Long]()
  private var outcomes = Outcomes()
  private var firstKey: Option[KeyOf] = None
  private var version = 0L
  inherited.foreach { r =>
    r.ranges.foreach { case (a, b) => ranges.put(a, b) }
    outcomes = r.outcomes
    firstKey = r.firstKey
  }

  def first(k: KeyOf): Unit = synchronized { firstKey = Some(k); version += 1 }

  def settle(index: Long, s: Settled): Unit = synchronized {
    val lower = ranges.floorEntry(index)
    if (lower != null && lower.getValue > index) return // already settled (cannot happen; never count twice)
    var start = index
    var end = index + 1
    if (lower != null && lower.getValue == index) { start = lower.getKey; ranges.remove(lower.getKey) }
    val upper = ranges.get(end)
    if (upper != null) { ranges.remove(end); end = upper }
    ranges.put(start, end)
    outcomes = outcomes.add(s)
    version += 1
  }

  def changes: Long = synchronized(version)

  def snapshot(done: Boolean): PartitionRecord = synchronized {
    PartitionRecord(partition, done, firstKey, ranges.asScala.iterator.map { case (a, b) => (a.longValue, b.longValue) }.toVector, outcomes)
  }
}

/**
 * The progress records of `submit --resume` (DESIGN 3.5), under `<run folder>/resume/`:
 * `plan.json` (the driver, before the first put), `partitions/<n>.json` (each write task: every
 * [[Contract.ResumeRecordIntervalSeconds]] while it runs, and when it ends), and on a resume
 * `inherited.json` (everything the resumed run recorded), so that a resume of a resume needs
 * only its own folder.
 */
object Resume {
  val PlanFile = "plan.json"
  val InheritedFile = "inherited.json"
  val PartitionsFolder = "partitions"

  /** Bumped when the partitioning or the order changes: records of another layout are refused. */
  val Layout = 1

  /** Partition records read at once by a resume's driver. */
  val LoadParallelism = 64

  private implicit val formats: Formats = DefaultFormats

  def folder(output: String): String = new Path(output, Contract.Output.resume).toString

  /** The inputs that must be the same for a resume, by job argument name. */
  def inputs(c: JobConfig): Map[String, String] = Map(
    Contract.Args.archive -> c.archive,
    Contract.Args.table -> c.table,
    Contract.Args.region -> c.region,
    Contract.Args.since -> c.since.getOrElse(""),
    Contract.Args.until -> c.until.getOrElse(""),
    Contract.Args.etlTime -> c.etlTimeMode.name,
    Contract.Args.ttlSeconds -> c.ttlSeconds.toString,
    Contract.Args.skipExpired -> c.skipExpired.toString
  )

  /** The differences between a plan's inputs and a resume's, named for the user; empty when none. */
  def inputDifferences(recorded: Map[String, String], now: Map[String, String]): Seq[String] =
    (recorded.keySet ++ now.keySet).toSeq.sorted.flatMap { k =>
      val (a, b) = (recorded.getOrElse(k, ""), now.getOrElse(k, ""))
      if (a == b) None else Some(s"$k was '${a}', now '${b}'")
    }

  /** Files and bytes per run, and a digest of every file's path and size. */
  def selection(files: Seq[ArchiveFile]): (String, Map[String, (Long, Long)]) = {
    val md = MessageDigest.getInstance("SHA-256")
    files.map(f => s"${f.path}\t${f.bytes}\n").sorted.foreach(l => md.update(l.getBytes(StandardCharsets.UTF_8)))
    val digest = md.digest().map(b => f"${b & 0xff}%02x").mkString
    (digest, files.groupBy(_.runId).map { case (r, fs) => r -> (fs.size.toLong, fs.map(_.bytes).sum) })
  }

  /** How the archive's selected files changed since a plan was recorded, named for the user. */
  def selectionDifferences(plan: ResumePlan, digest: String, runs: Map[String, (Long, Long)]): Seq[String] =
    if (plan.filesDigest == digest) Nil
    else {
      val named = (plan.runs.keySet ++ runs.keySet).toSeq.sorted.flatMap { r =>
        (plan.runs.get(r), runs.get(r)) match {
          case (Some(a), Some(b)) if a == b => None
          case (Some((f1, b1)), Some((f2, b2))) => Some(s"run=$r had $f1 file(s), $b1 bytes; now $f2, $b2")
          case (Some(_), None)                 => Some(s"run=$r is no longer selected or present")
          case (None, Some(_))                 => Some(s"run=$r is new")
          case (None, None)                    => None
        }
      }
      if (named.nonEmpty) named else Seq("the selected files changed (same counts and sizes per run, other names or sizes)")
    }

  // --- JSON -------------------------------------------------------------------------------

  private def outcomesJson(o: Outcomes): JValue =
    JObject("written" -> JLong(o.written), "alreadyPresent" -> JLong(o.alreadyPresent), "conflicting" -> JLong(o.conflicting), "expired" -> JLong(o.expired))

  private def outcomesOf(v: JValue): Outcomes =
    Outcomes((v \ "written").extract[Long], (v \ "alreadyPresent").extract[Long], (v \ "conflicting").extract[Long], (v \ "expired").extract[Long])

  def recordJson(r: PartitionRecord): JValue =
    JObject(
      "partition" -> JInt(r.partition),
      "done" -> JBool(r.done),
      "firstKey" -> r.firstKey.fold[JValue](JNull)(k => JArray(List(JString(k.eventId), JString(k.fingerprint)))),
      "ranges" -> JArray(r.ranges.map { case (a, b) => JArray(List(JLong(a), JLong(b))) }.toList),
      "outcomes" -> outcomesJson(r.outcomes)
    )

  def recordOf(v: JValue): PartitionRecord =
    PartitionRecord(
      partition = (v \ "partition").extract[Int],
      done = (v \ "done").extract[Boolean],
      firstKey = (v \ "firstKey") match {
        case JArray(List(JString(e), JString(f))) => Some(KeyOf(e, f))
        case _                                    => None
      },
      ranges = (v \ "ranges").extract[List[List[Long]]].collect { case List(a, b) => (a, b) }.toVector,
      outcomes = outcomesOf(v \ "outcomes")
    )

  def planJson(p: ResumePlan): String =
    JsonMethods.pretty(
      JObject(
        "layout" -> JInt(Layout),
        "inputs" -> JObject(p.inputs.toList.sortBy(_._1).map { case (k, v) => k -> JString(v) }),
        "writePartitions" -> JInt(p.writePartitions),
        "now" -> JLong(p.now),
        "filesDigest" -> JString(p.filesDigest),
        "runs" -> JObject(p.runs.toList.sortBy(_._1).map { case (r, (f, b)) => r -> JObject("files" -> JLong(f), "bytes" -> JLong(b)) })
      )
    )

  def planOf(text: String, where: String): ResumePlan = {
    val v = JsonMethods.parse(text)
    val layout = (v \ "layout").extractOpt[Int].getOrElse(0)
    if (layout != Layout)
      throw new InputError(s"$where was recorded by another version of the job (layout $layout, this job reads $Layout): start the run afresh instead of resuming it")
    ResumePlan(
      inputs = (v \ "inputs").extract[Map[String, String]],
      writePartitions = (v \ "writePartitions").extract[Int],
      now = (v \ "now").extract[Long],
      filesDigest = (v \ "filesDigest").extract[String],
      runs = (v \ "runs") match {
        case JObject(fields) => fields.map { case (r, o) => r -> ((o \ "files").extract[Long], (o \ "bytes").extract[Long]) }.toMap
        case _               => Map.empty
      }
    )
  }

  def inheritedJson(records: Iterable[PartitionRecord]): String =
    JsonMethods.compact(JObject("partitions" -> JArray(records.toList.sortBy(_.partition).map(recordJson))))

  // --- files ------------------------------------------------------------------------------

  private def readText(path: Path, conf: Configuration): Option[String] = {
    val fs = path.getFileSystem(conf)
    if (!fs.exists(path)) None
    else {
      val in = fs.open(path)
      try Some(new String(in.readAllBytes(), StandardCharsets.UTF_8))
      finally in.close()
    }
  }

  /**
   * What the run in `from` recorded: its plan, what it inherited, overlaid with its partitions'
   * own records (each a superset of what it inherited). Read by the driver of the resume.
   */
  def load(from: String, conf: Configuration): Recorded = {
    val dir = new Path(folder(from))
    val plan = readText(new Path(dir, PlanFile), conf).map(planOf(_, new Path(dir, PlanFile).toString))
    val inherited = readText(new Path(dir, InheritedFile), conf).toList.flatMap { t =>
      (JsonMethods.parse(t) \ "partitions").children.map(recordOf)
    }
    val partsDir = new Path(dir, PartitionsFolder)
    val fs = partsDir.getFileSystem(conf)
    val files = if (fs.exists(partsDir)) fs.listStatus(partsDir).toSeq.map(_.getPath).filter(_.getName.endsWith(".json")) else Nil
    // One GET per partition record: at the 20,000-partition cap, 64 at a time keep it to seconds on S3.
    val own = if (files.isEmpty) Nil else {
      val pool = Executors.newFixedThreadPool(math.min(LoadParallelism, files.size))
      implicit val ec: ExecutionContext = ExecutionContext.fromExecutorService(pool)
      try Await.result(Future.traverse(files)(p => Future(readText(p, conf).map(t => recordOf(JsonMethods.parse(t))))), Duration.Inf).flatten
      finally pool.shutdown()
    }
    Recorded(from, plan, (inherited ++ own).map(r => r.partition -> r).toMap)
  }

  /** This run's own record of a partition (a retried attempt reads its failed predecessor's). */
  def loadRecord(output: String, partition: Int, conf: Configuration): Option[PartitionRecord] =
    readText(new Path(new Path(folder(output), PartitionsFolder), s"$partition.json"), conf).map(t => recordOf(JsonMethods.parse(t)))

  def writePlan(output: String, plan: ResumePlan, conf: Configuration): Unit =
    Report.writeFile(folder(output), PlanFile, planJson(plan), conf)

  def writeInherited(output: String, records: Iterable[PartitionRecord], conf: Configuration): Unit =
    Report.writeFile(folder(output), InheritedFile, inheritedJson(records), conf)

  def writeRecord(output: String, r: PartitionRecord, conf: Configuration): Unit =
    Report.writeFile(new Path(folder(output), PartitionsFolder).toString, s"${r.partition}.json", JsonMethods.compact(recordJson(r)), conf)

  /**
   * The indices a partition skips on a resume: an iterator over sorted disjoint ranges that
   * answers `contains` for increasing indices in O(1) amortised.
   */
  final class Skips(ranges: Vector[(Long, Long)]) {
    private var i = 0
    def contains(index: Long): Boolean = {
      while (i < ranges.size && ranges(i)._2 <= index) i += 1
      i < ranges.size && ranges(i)._1 <= index
    }
  }
}

/**
 * One thread per JVM writing the records of the write tasks running in it every
 * [[Contract.ResumeRecordIntervalSeconds]] seconds (only those that changed). A task's last
 * record is written by the task itself ([[close]]); the lock keeps a periodic write from landing
 * after it.
 */
object ResumeRecorder {
  private final class Entry(val tracker: PartitionTracker, val output: String, val conf: () => Configuration) {
    var written = -1L
    var closed = false
    def write(done: Boolean): Unit = synchronized {
      if (!closed) {
        val v = tracker.changes
        if (done || v != written) {
          Resume.writeRecord(output, tracker.snapshot(done), conf())
          written = v
        }
        if (done) closed = true
      }
    }
    def close(done: Boolean): Unit = synchronized { write(done); closed = true }
  }

  private val entries = new ConcurrentHashMap[PartitionTracker, Entry]()
  @volatile private var thread: Thread = null

  private def ensureThread(periodMillis: Long): Unit = synchronized {
    if (thread == null || !thread.isAlive) {
      val t = new Thread(() => {
        while (true) {
          try TimeUnit.MILLISECONDS.sleep(periodMillis)
          catch { case _: InterruptedException => () }
          entries.values().asScala.foreach { e =>
            try e.write(done = false)
            catch { case ex: Exception => System.err.println(s"populator: warning: cannot record progress of partition ${e.tracker.partition}: ${ex.getMessage}") }
          }
        }
      }, "populator-resume-recorder")
      t.setDaemon(true)
      t.start()
      thread = t
    }
  }

  /** Starts recording `tracker` to `output`. */
  def register(tracker: PartitionTracker, output: String, conf: () => Configuration, periodMillis: Long = Contract.ResumeRecordIntervalSeconds * 1000L): Unit = {
    entries.put(tracker, new Entry(tracker, output, conf))
    ensureThread(periodMillis)
  }

  /** The task's last record: `done` when every key was settled. Failures to write it fail the task when done. */
  def close(tracker: PartitionTracker, done: Boolean): Unit = {
    val e = entries.remove(tracker)
    if (e != null) e.close(done)
  }
}
