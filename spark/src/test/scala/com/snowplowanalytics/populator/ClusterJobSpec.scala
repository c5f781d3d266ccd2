package com.snowplowanalytics.populator

import java.io.File
import java.lang.management.ManagementFactory
import java.nio.file.{Files, Path}
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

import scala.jdk.CollectionConverters._

import org.json4s._
import org.json4s.jackson.JsonMethods
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite
import software.amazon.awssdk.services.dynamodb.model.AttributeValue

import com.snowplowanalytics.populator.generated.Contract
import com.snowplowanalytics.populator.generated.Contract.Args

/**
 * The job on several executor JVMs, as on EMR Serverless: `Main.main` in a child JVM whose master is
 * `local-cluster[2,1,1024]`, so Spark starts two executor processes. Broadcasts, task results and
 * shuffled records then really cross JVMs through Kryo, with `spark.kryo.registrationRequired` on so
 * that a class Kryo does not know fails at once. Executors get nothing from the driver's JVM but
 * what Spark ships: their classpath is given explicitly, and their credentials come from the
 * environment the worker passes on (the test JVM's own system properties do not reach them).
 */
class ClusterJobSpec extends AnyFunSuite with BeforeAndAfterAll {
  import Files2._
  import Lines._

  private implicit val formats: Formats = DefaultFormats
  private val tables = new AtomicInteger()

  override def beforeAll(): Unit = { Dynalite.endpoint; () }

  /** Spark launches executors from `$SPARK_HOME/jars`: an empty one here, the classpath comes from extraClassPath. */
  private lazy val sparkHome: Path = {
    val home = temp("spark-home")
    Files.createDirectories(home.resolve("jars"))
    home
  }

  private lazy val archive: Path = {
    val dir = temp("cluster-archive")
    // Several files per run, so that the read stage has tasks for both executors.
    (0 until 4).foreach { f =>
      write(
        dir.resolve(s"run=2017-01-01-00-00-00/part-0000$f.gz"),
        (0 until 250).map(i => enriched(uuid(f * 1000 + i), "2017-01-01 00:10:00.500", s"fp$i")) :+ "not an enriched line",
        gzip = true
      )
      write(
        dir.resolve(s"run=2017-01-02-00-00-00/part-0000$f"),
        (0 until 100).map(i => enriched(uuid(f * 1000 + i), "2017-01-02 00:20:00.000", s"fp$i")) ++
          (0 until 50).map(i => enriched(uuid(9000 + f * 100 + i), "2017-01-02 00:05:00.000", s"fq$i"))
      )
    }
    dir
  }

  private final class Outcome(val code: Int, val log: String, val output: Path) {
    lazy val summary: JValue = JsonMethods.parse(read(output.resolve(Contract.Output.summary).toFile))
    def counter(name: String): Long = (summary \ "counters" \ name).extract[Long]
  }

  /** Runs Main in a child JVM on `local-cluster[executors,1,1024]`. */
  /**
   * Runs Main in a child JVM on `local-cluster[executors,1,1024]`. `endpoint` None: the DynamoDB
   * endpoint is in the driver's environment only, and the executors' environment names a dead one.
   */
  private def runOnCluster(table: String, executors: Int = 2, extra: Seq[String] = Nil, endpoint: Option[String], output: Path = temp("cluster-output")): Outcome = {
    val classpath = System.getProperty("java.class.path")
    val jvmOptions = ManagementFactory.getRuntimeMXBean.getInputArguments.asScala.filter(a => a.startsWith("--add-opens") || a.startsWith("-XX:+Ignore") || a.startsWith("-Dio.netty") || a.startsWith("-Djdk.reflect"))
    val java = new File(System.getProperty("java.home"), "bin/java").getPath
    val conf = Seq(
      "spark.master" -> s"local-cluster[$executors,1,1024]",
      "spark.app.name" -> "populator-cluster-test",
      "spark.ui.enabled" -> "false",
      "spark.driver.host" -> "127.0.0.1",
      "spark.driver.bindAddress" -> "127.0.0.1",
      "spark.executor.extraClassPath" -> classpath,
      "spark.kryo.registrationRequired" -> "true",
      "spark.executor.heartbeatInterval" -> "2s"
    ) ++ (if (endpoint.isEmpty) Seq("spark.executorEnv.AWS_ENDPOINT_URL_DYNAMODB" -> "http://127.0.0.1:9") else Nil)
    val args = Seq(
      Args.archive, archive.toString, Args.output, output.toUri.toString, Args.table, table, Args.region, Dynalite.region,
      Args.writeRate, "2000", Args.now, "1500000000"
    ) ++ endpoint.toSeq.flatMap(e => Seq(Args.dynamodbEndpoint, e)) ++ extra
    val command = Seq(java) ++ jvmOptions ++ Seq("-Xmx1g") ++ conf.map { case (k, v) => s"-D$k=$v" } ++
      Seq("-cp", classpath, "com.snowplowanalytics.populator.Main") ++ args
    val pb = new ProcessBuilder(command.asJava).redirectErrorStream(true)
    pb.environment().put("SPARK_HOME", sparkHome.toString)
    // The launcher looks for `launcher/target/scala-<binary version>` unless told: the build's own Scala.
    pb.environment().put("SPARK_SCALA_VERSION", scala.util.Properties.versionNumberString.split('.').take(2).mkString("."))
    // Every process of the cluster on the loopback interface, never the host's own address.
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1")
    // The job's credentials, as the environment gives them on a cluster (no system property reaches an executor).
    pb.environment().put("AWS_ACCESS_KEY_ID", "dummy")
    pb.environment().put("AWS_SECRET_ACCESS_KEY", "dummy")
    pb.environment().remove("AWS_ENDPOINT_URL")
    if (endpoint.isEmpty) pb.environment().put("AWS_ENDPOINT_URL_DYNAMODB", Dynalite.endpoint.toString)
    else pb.environment().remove("AWS_ENDPOINT_URL_DYNAMODB")
    val logFile = output.resolve("driver.log")
    pb.redirectOutput(logFile.toFile)
    val p = pb.start()
    if (!p.waitFor(5, TimeUnit.MINUTES)) { p.destroyForcibly(); fail(s"the cluster job did not end in 5 minutes: ${read(logFile.toFile)}") }
    new Outcome(p.exitValue(), read(logFile.toFile), output)
  }

  private def newTable(): String = { val t = s"cluster-${tables.incrementAndGet()}"; Dynalite.createTable(t); t }

  test("on two executor JVMs the table equals one put per unique key with its run's earliest etl_tstamp (endpoint from the driver's environment only)") {
    val table = newTable()
    val r = runOnCluster(table, endpoint = None)
    assert(r.code == Contract.Exit.ok, r.log)
    val run1 = epoch("2017-01-01 00:10:00")
    val run2 = epoch("2017-01-02 00:05:00")
    val expected: Map[(String, String), Long] =
      ((0 until 4).flatMap(f => (0 until 250).map(i => (uuid(f * 1000 + i), s"fp$i") -> run1)) ++
        (0 until 4).flatMap(f => (0 until 50).map(i => (uuid(9000 + f * 100 + i), s"fq$i") -> run2))).toMap
    val items = Dynalite.scan(table)
    assert(items.keySet == expected.keySet)
    items.foreach { case (k, item) =>
      assert(item(Contract.AttrEtlTime) == AttributeValue.builder().n(expected(k).toString).build(), k)
      assert(item(Contract.AttrTtl).n().toLong == expected(k) + Contract.DefaultTtlSeconds, k)
    }
    assert(r.counter("written") == expected.size)
    assert(r.counter("bad") == 4)
    assert(r.counter("linesRead") == 4 * 251 + 4 * 150)
    assert((r.summary \ "writerExecutors").extract[Int] == 2, r.log)
    // The bad rows were written by the executors, one file per read partition.
    assert(Files.list(r.output.resolve(Contract.Output.badRows)).iterator().asScala.map(f => Files.readAllLines(f).size).sum == 4)
  }

  private def balanced(r: Outcome): Boolean =
    r.counter("linesRead") == Seq("bad", "noFingerprint", "expired", "duplicatesInSelection", "written", "alreadyPresent", "conflicting").map(r.counter).sum

  private val allKeys: Set[(String, String)] =
    ((0 until 4).flatMap(f => (0 until 250).map(i => (uuid(f * 1000 + i), s"fp$i"))) ++
      (0 until 4).flatMap(f => (0 until 50).map(i => (uuid(9000 + f * 100 + i), s"fq$i")))).toSet

  test("on two executor JVMs: a run stopped part-way, resumed under throttling and 5xx answers, sends only what was not recorded") {
    val table = newTable()
    val stop = new FaultProxy(Dynalite.endpoint, throttleEvery = Int.MaxValue, errorEvery = Int.MaxValue, fatalAfter = 500)
    val first = try runOnCluster(table, endpoint = Some(stop.endpoint.toString)) finally stop.close()
    assert(first.code == Contract.Exit.failed, first.log)
    val afterFirst = Dynalite.scan(table).size
    assert(afterFirst > 0 && afterFirst <= 500, first.log)

    val faults = new FaultProxy(Dynalite.endpoint, throttleEvery = 7, errorEvery = 11)
    val second = try runOnCluster(table, endpoint = Some(faults.endpoint.toString), extra = Seq(Args.resumeFrom, first.output.toString)) finally faults.close()
    assert(second.code == Contract.Exit.ok, second.log)
    assert(Dynalite.scan(table).keySet == allKeys)
    assert(balanced(second), second.summary)
    assert(faults.throttled.get() > 0 && second.counter("written") + second.counter("alreadyPresent") == allKeys.size)
    assert((second.summary \ "throttledRetries").extract[Long] >= faults.throttled.get(), second.log)
    val saved = (second.summary \ "resume" \ "writesSaved").extract[Long]
    // What the first run's executors recorded was not sent again (in-flight puts at the stop may be).
    assert(saved > 0 && saved <= afterFirst, second.log)
    assert(faults.putsSeen - faults.throttled.get() - faults.failed.get() <= allKeys.size - saved)
  }

  test("on two executor JVMs: --skip-present and --etl-time event; keys already in the table are looked up, not put") {
    val table = newTable()
    val present = allKeys.toSeq.sorted.take(300)
    present.foreach { case (id, fp) =>
      val etl = if (fp.startsWith("fq")) epoch("2017-01-02 00:05:00") else epoch("2017-01-01 00:10:00")
      Dynalite.put(table, Map(
        Contract.AttrEventId -> AttributeValue.builder().s(id).build(),
        Contract.AttrFingerprint -> AttributeValue.builder().s(fp).build(),
        Contract.AttrEtlTime -> AttributeValue.builder().n(etl.toString).build(),
        Contract.AttrTtl -> AttributeValue.builder().n((etl + Contract.DefaultTtlSeconds).toString).build()
      ))
    }
    val counting = new FaultProxy(Dynalite.endpoint, throttleEvery = Int.MaxValue, errorEvery = Int.MaxValue)
    val r = try runOnCluster(table, endpoint = Some(counting.endpoint.toString), extra = Seq(Args.skipPresent, "true", Args.etlTime, "event")) finally counting.close()
    assert(r.code == Contract.Exit.ok, r.log)
    assert(Dynalite.scan(table).keySet == allKeys)
    assert(balanced(r))
    assert(r.counter("alreadyPresent") == present.size && r.counter("written") == allKeys.size - present.size, r.summary)
    assert(counting.putsSeen == allKeys.size - present.size)
  }

  test("on two executor JVMs: import mode writes the same items as gzip DYNAMODB_JSON files, nothing else in the folder, no DynamoDB call") {
    val output = temp("cluster-import-output")
    val folder = output.resolve("import")
    // Nothing listens on the DynamoDB endpoint: the table of an import does not exist yet.
    val r = runOnCluster("cluster-import", endpoint = Some("http://127.0.0.1:9"), output = output, extra = Seq(Args.importTo, s"$folder/"))
    assert(r.code == Contract.Exit.ok, r.log)
    val run1 = epoch("2017-01-01 00:10:00")
    val run2 = epoch("2017-01-02 00:05:00")
    val items = ImportFolder.items(folder)
    assert(items.keySet == allKeys)
    items.foreach { case (k, item) =>
      val etl = if (k._2.startsWith("fq")) run2 else run1
      assert(item(Contract.AttrEtlTime).n().toLong == etl && item(Contract.AttrTtl).n().toLong == etl + Contract.DefaultTtlSeconds, k)
    }
    val objs = ImportFolder.objects(folder)
    assert(ImportFolder.namedInOrder(folder) && objs.size == 2, ImportFolder.allFiles(folder)) // one per executor core
    assert(balanced(r) && r.counter("written") == allKeys.size && r.counter("bad") == 4)
    assert((r.summary \ "import" \ "objects").extract[Int] == objs.size)
    assert((r.summary \ "import" \ "items").extract[Long] == allKeys.size)
    assert((r.summary \ "import" \ "bytes").extract[Long] == objs.map(_.bytes).sum)
    assert((r.summary \ "import" \ "compressedBytes").extract[Long] == objs.map(_.compressedBytes).sum)
    assert(!Files.exists(output.resolve("_import.temporary")))
    // Written by both executors (task results crossed JVMs through Kryo, registration required).
    assert(!r.log.contains("Class is not registered"), r.log)
  }
}
