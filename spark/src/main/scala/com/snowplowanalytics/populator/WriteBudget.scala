package com.snowplowanalytics.populator

import java.nio.charset.StandardCharsets
import java.util.concurrent.{ConcurrentHashMap, Executors, ScheduledExecutorService, ScheduledFuture, TimeUnit}
import java.util.concurrent.atomic.AtomicLong

import scala.jdk.CollectionConverters._
import scala.util.Try
import scala.util.control.NonFatal

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.Path
import org.apache.spark.{SparkConf, SparkContext, SparkEnv}
import org.apache.spark.scheduler.{SparkListener, SparkListenerExecutorAdded, SparkListenerExecutorRemoved}
import org.json4s._
import org.json4s.jackson.JsonMethods

/**
 * The executors that write, as the driver publishes them: executor id -> cores. `version` grows
 * with every change, so a reader can tell a newer set from an older one.
 */
final case class ExecutorSet(version: Long, cores: Map[String, Int]) {
  def totalCores: Int = cores.values.sum

  def toJson: String =
    JsonMethods.compact(JObject("version" -> JLong(version), "executors" -> JObject(cores.toList.sorted.map { case (k, v) => k -> JInt(v) })))
}

object ExecutorSet {

  /** The id Spark gives the driver; in local mode it is also the only executor. */
  val DriverId = "driver"

  def parse(text: String): Option[ExecutorSet] =
    Try {
      val j = JsonMethods.parse(text)
      val version = j \ "version" match { case JInt(v) => v.toLong; case JLong(v) => v; case _ => 0L }
      val cores = j \ "executors" match {
        case JObject(fs) => fs.collect { case (id, JInt(c)) if c > 0 => id -> c.toInt; case (id, JLong(c)) if c > 0 => id -> c.toInt }.toMap
        case _           => Map.empty[String, Int]
      }
      ExecutorSet(version, cores)
    }.toOption.filter(_.cores.nonEmpty)

  /** Reads a published set; None when there is none (yet) or it cannot be read. */
  def read(file: String, conf: Configuration): Option[ExecutorSet] =
    try {
      val p = new Path(file)
      val fs = p.getFileSystem(conf)
      val in = fs.open(p)
      try parse(new String(in.readAllBytes(), StandardCharsets.UTF_8))
      finally in.close()
    } catch { case NonFatal(_) => None }
}

/**
 * One executor JVM's share of the job's write budget, and the one [[RateLimiter]] all its writer
 * tasks share (so what AIMD learns survives task boundaries). The share is this executor's cores
 * over the cores of every executor in the published set ([[ExecutorBudget.share]]).
 *
 * The budget must hold while executors read a new set at different moments (each refreshes every
 * couple of seconds). A share that shrinks is applied at once. One that grows because executors
 * left (every executor of the new set was in the one applied before, with the same cores) is
 * applied at once too: then every share only grows, so no mix of old and new shares exceeds the
 * budget. One that grows for another reason (an executor joined, and the others' shares must
 * shrink for it) only when the same set is seen again at the next refresh: by then every executor
 * has applied it. An executor not in the set (one that joined after the set it started from)
 * writes nothing until it is listed and has waited that one refresh: a newcomer starts writing a
 * few seconds after it registered. Thread-safe; `update` is called at every refresh.
 */
final class ExecutorBudget(
  val budget: Double,
  val executorId: String,
  initial: ExecutorSet,
  clock: Clock,
  newLimiter: (Double, Clock) => RateLimiter = (r, c) => new RateLimiter(r, c)
) {
  require(budget > 0, s"budget $budget")
  private var applied = initial
  private var shareNow = ExecutorBudget.share(executorId, initial)
  private var waiting: Option[Long] = None
  val limiter: RateLimiter = newLimiter(ExecutorBudget.rate(budget, shareNow), clock)

  /** The fraction of the budget this JVM holds now. */
  def share: Double = synchronized(shareNow)

  /** Applies the latest published set (see the class); true if the share changed. */
  def update(set: ExecutorSet): Boolean = synchronized {
    if (set.version < applied.version) false
    else {
      val target = ExecutorBudget.share(executorId, set)
      val onlyLeft = set.cores.forall { case (id, c) => applied.cores.get(id).contains(c) }
      val apply = target < shareNow || (target > shareNow && (onlyLeft || waiting.contains(set.version)))
      waiting = if (target > shareNow && !apply) Some(set.version) else None
      if (apply || target == shareNow) applied = set
      if (apply) {
        shareNow = target
        limiter.setMaxRate(ExecutorBudget.rate(budget, target))
      }
      apply
    }
  }
}

object ExecutorBudget {

  /** The fraction of the budget an executor holds under a published set: 0 when not in it. */
  def share(executorId: String, set: ExecutorSet): Double =
    set.cores.get(executorId).fold(0.0)(c => c.toDouble / set.totalCores)

  /** A limiter's ceiling for a share: a share of 0 is a pace so slow it never grants a permit in a job's time. */
  private def rate(budget: Double, share: Double): Double = math.max(budget * share, 1e-6)
}

/**
 * The driver's view of the registered executors, kept by a listener that Main installs through
 * `spark.extraListeners`, so that it sees every executor from the first one (a listener added
 * later misses those registered before it, and Spark's public status API gives no executor ids).
 * With dynamic allocation off and pinned executors (EMR Serverless as the CLI submits it), the set
 * changes only when an executor is lost or replaced.
 */
final class ExecutorRegistry(conf: SparkConf) extends SparkListener {
  def this() = this(new SparkConf(false))
  ExecutorRegistry.install(this)

  private val cores = new ConcurrentHashMap[String, Integer]()
  private val changes = new AtomicLong(0)

  override def onExecutorAdded(e: SparkListenerExecutorAdded): Unit = {
    cores.put(e.executorId, Integer.valueOf(math.max(1, e.executorInfo.totalCores)))
    changes.incrementAndGet()
    ()
  }

  override def onExecutorRemoved(e: SparkListenerExecutorRemoved): Unit = {
    cores.remove(e.executorId)
    changes.incrementAndGet()
    ()
  }

  /** The executors registered now (never the driver), and a count that grows with every change. */
  def snapshot: (Long, Map[String, Int]) = {
    val v = changes.get()
    (v, cores.asScala.map { case (k, c) => k -> c.intValue }.toMap)
  }
}

object ExecutorRegistry {
  @volatile private var current: Option[ExecutorRegistry] = None

  private def install(r: ExecutorRegistry): Unit = current = Some(r)

  /** The registry Main installed in this driver JVM, if any. */
  def installed: Option[ExecutorRegistry] = current

  /** Adds the registry to `spark.extraListeners` (keeping any the user set). */
  def addTo(conf: SparkConf): SparkConf = {
    val name = classOf[ExecutorRegistry].getName
    val listeners = conf.getOption("spark.extraListeners").map(_.split(",").map(_.trim).filter(_.nonEmpty).toList).getOrElse(Nil)
    if (listeners.contains(name)) conf else conf.set("spark.extraListeners", (listeners :+ name).mkString(","))
  }
}

/**
 * Publishes the executor set to `<output>/executors.json` (the driver), at once and whenever it
 * changes (checked every `periodMillis`); executors read it back ([[JvmWriters]]). A small file
 * under the run's output works alike on local disk, S3A and EMRFS, needs no extra port or Spark
 * internals, and costs one GET per executor every few seconds. In local mode the driver is the one
 * executor, with every local core.
 */
final class ExecutorSetPublisher(sc: SparkContext, file: String, conf: Configuration, log: String => Unit, periodMillis: Long = 1000L) {
  private val registry: Option[ExecutorRegistry] =
    if (sc.isLocal) None
    else
      ExecutorRegistry.installed.orElse {
        // Only when the session was not built by Main: executors registered before this miss.
        log("warning: the executor registry is not installed (spark.extraListeners): the write budget is split over the executors registered from now on")
        val r = new ExecutorRegistry(sc.getConf)
        sc.addSparkListener(r)
        Some(r)
      }
  @volatile private var lastChange = -1L
  @volatile private var published: ExecutorSet = ExecutorSet(0, Map(ExecutorSet.DriverId -> math.max(1, sc.defaultParallelism)))
  private val timer: ScheduledExecutorService = Executors.newSingleThreadScheduledExecutor { r =>
    val t = new Thread(r, "populator-executor-set")
    t.setDaemon(true)
    t
  }

  /** The set as last published. */
  def current: ExecutorSet = published

  private def publishIfChanged(): Unit = registry.foreach { r =>
    val (change, cores) = r.snapshot
    if (change != lastChange && cores.nonEmpty) {
      val set = ExecutorSet(published.version + 1, cores)
      try {
        Report.writeFile(new Path(file).getParent.toString, new Path(file).getName, set.toJson, conf)
        lastChange = change
        published = set
        log(s"write budget split over ${cores.size} executor(s), ${set.totalCores} cores (executor set version ${set.version})")
      } catch { case NonFatal(e) => log(s"warning: cannot publish the executor set to $file: ${e.getMessage}") }
    }
  }

  /** Publishes the set now (the write stage needs it before it starts), then keeps it current. */
  def start(): ExecutorSet = {
    if (registry.isEmpty) Report.writeFile(new Path(file).getParent.toString, new Path(file).getName, published.toJson, conf)
    else publishIfChanged()
    timer.scheduleWithFixedDelay(() => publishIfChanged(), periodMillis, periodMillis, TimeUnit.MILLISECONDS)
    published
  }

  def stop(): Unit = { timer.shutdownNow(); () }
}

/**
 * The executor JVM's side: one [[ExecutorBudget]] per run, shared by the JVM's writer tasks, and a
 * daemon thread that reads the published executor set every `refreshMillis` and applies it.
 */
object JvmWriters {
  private final case class Entry(budget: ExecutorBudget, refresh: Option[ScheduledFuture[_]])
  private val entries = new ConcurrentHashMap[String, Entry]()
  private lazy val timer: ScheduledExecutorService = Executors.newSingleThreadScheduledExecutor { r =>
    val t = new Thread(r, "populator-write-budget")
    t.setDaemon(true)
    t
  }

  /** This JVM's executor id: in local mode the driver, which the published set lists. */
  def executorId(): String = Option(SparkEnv.get).map(_.executorId).getOrElse(ExecutorSet.DriverId)

  /**
   * The run's budget in this JVM, created (and kept current) on first use. The budgets of earlier
   * runs in this JVM (tests, a driver reused) are done then: dropped under the lock, never from
   * inside a map operation (a ConcurrentHashMap must not be changed by its own computeIfAbsent).
   */
  def budgetFor(settings: WriteSettings, conf: () => Configuration): ExecutorBudget = {
    val known = entries.get(settings.runKey)
    if (known != null) known.budget
    else
      synchronized {
        val again = entries.get(settings.runKey)
        if (again != null) again.budget
        else {
          entries.keySet().asScala.toList.foreach { k =>
            val old = entries.remove(k)
            if (old != null) old.refresh.foreach(_.cancel(false))
          }
          val b = new ExecutorBudget(settings.writeRate, executorId(), settings.executors, Clock.System)
          val refresh = settings.executorsFile.map { file =>
            val c = conf()
            timer.scheduleWithFixedDelay(() => ExecutorSet.read(file, c).foreach(b.update), settings.refreshMillis, settings.refreshMillis, TimeUnit.MILLISECONDS)
          }
          entries.put(settings.runKey, Entry(b, refresh))
          b
        }
      }
  }
}
