package com.snowplowanalytics.populator

import java.io.{ByteArrayOutputStream, File, PrintStream}
import java.nio.file.Path
import java.util.concurrent.atomic.AtomicInteger

import org.json4s._
import org.json4s.jackson.JsonMethods
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite
import software.amazon.awssdk.services.dynamodb.model.{AttributeValue, KeyType}

import com.snowplowanalytics.populator.generated.Contract
import com.snowplowanalytics.populator.generated.Contract.Args

/** The golden end-to-end test: local Spark, a temp archive, dynalite. */
class JobSpec extends AnyFunSuite with BeforeAndAfterAll {
  import Files2._
  import Lines._

  private implicit val formats: Formats = DefaultFormats
  private val tables = new AtomicInteger()

  override def beforeAll(): Unit = { TestSpark.session; Dynalite.endpoint; () }

  private val A = (uuid(1), "fpA")
  private val B = (uuid(2), "fpB")
  private val C = (uuid(4), "fpC")
  private val D = (uuid(5), "fpD")
  private val A2 = (uuid(1), "fpA2") // same event id, other fingerprint: another key
  private val E = (uuid(6), "fpE")

  private def ev(k: (String, String), ts: String) = enriched(k._1, ts, k._2)

  /** Three runs (plain, .gz in a sub folder, .gzip), markers, and entries to ignore. */
  private lazy val archive: Path = {
    val dir = temp("archive")
    val r1 = dir.resolve("run=2017-01-01-00-00-00")
    write(
      r1.resolve("part-00000"),
      Seq(
        ev(A, "2017-01-01 00:10:00.500"),
        ev(B, "2017-01-01 00:05:00.100"),
        enriched(uuid(3), "2017-01-01 00:01:00.000", ""), // no fingerprint, yet the run's earliest etl_tstamp
        sample.split("\t", -1).drop(1).mkString("\t"), // FIELD_COUNT
        ev(("xyz", "fpX"), "2017-01-01 00:00:00.000") // INVALID_EVENT_ID
      )
    )
    touch(r1.resolve("_SUCCESS"))
    touch(r1.resolve("part-00001"))
    write(r1.resolve(".part-00000.crc"), Seq("garbage"))
    write(
      dir.resolve("run=2017-01-02-00-00-00/sub/part-00000.gz"),
      Seq(
        ev(C, "2017-01-02 00:30:00.000"),
        ev(C, "2017-01-02 00:31:00.000"),
        ev(D, "2017-01-02 00:20:00.250"),
        ev(A, "2017-01-02 00:40:00.000"),
        ev(A2, "2017-01-02 00:45:00.000"),
        ev(("00000000-0000-4000-8000-000000000099", "fpZ"), "yesterday") // INVALID_ETL_TSTAMP
      ),
      gzip = true
    )
    write(dir.resolve("run=2017-01-03-00-00-00/part-00000.gzip"), Seq(ev(E, "2017-01-03 00:00:05.000"), ev(B, "2017-01-03 00:00:09.000")), gzip = true)
    write(dir.resolve("run=2017-13-01-00-00-00/part-00000"), Seq("x"))
    write(dir.resolve("notes/part-00000"), Seq("x"))
    write(dir.resolve("README"), Seq("x"))
    dir
  }

  private val runMin1 = epoch("2017-01-01 00:01:00")
  private val runMin2 = epoch("2017-01-02 00:20:00")
  private val runMin3 = epoch("2017-01-03 00:00:05")

  private final class Outcome(val code: Int, val out: String, val err: String, val output: Path) {
    lazy val summary: JValue = JsonMethods.parse(read(output.resolve(Contract.Output.summary).toFile))
    lazy val progress: JValue = JsonMethods.parse(read(output.resolve(Contract.Output.progress).toFile))
    def counter(name: String): Long = (summary \ "counters" \ name).extract[Long]
    def balanced: Boolean =
      counter("linesRead") == Seq("bad", "noFingerprint", "expired", "duplicatesInSelection", "written", "alreadyPresent", "conflicting")
        .map(counter)
        .sum
  }

  private def newTable(): String = { val t = s"manifest-${tables.incrementAndGet()}"; Dynalite.createTable(t); t }

  private def runJob(table: String, extra: Seq[String] = Nil, archiveDir: String = archive.toString, endpoint: String = Dynalite.endpoint.toString): Outcome = {
    val output = temp("output")
    val out, err = new ByteArrayOutputStream()
    val args = Seq(
      Args.archive, archiveDir, Args.output, output.toUri.toString, Args.table, table, Args.region, Dynalite.region,
      Args.dynamodbEndpoint, endpoint, Args.writeRate, "2000"
    ) ++ extra
    val code = Main.run(args, Some(TestSpark.session), new PrintStream(out, true, "UTF-8"), new PrintStream(err, true, "UTF-8"))
    new Outcome(code, out.toString("UTF-8"), err.toString("UTF-8"), output)
  }

  /** The item DESIGN 3.2 prescribes, attribute by attribute. */
  private def expectedItem(k: (String, String), etlTime: Long, ttlSeconds: Long = Contract.DefaultTtlSeconds): Map[String, AttributeValue] =
    Map(
      Contract.AttrEventId -> AttributeValue.builder().s(k._1).build(),
      Contract.AttrFingerprint -> AttributeValue.builder().s(k._2).build(),
      Contract.AttrEtlTime -> AttributeValue.builder().n(etlTime.toString).build(),
      Contract.AttrTtl -> AttributeValue.builder().n((etlTime + ttlSeconds).toString).build()
    )

  test("run mode: every unique key written once with its run's earliest etl_tstamp; a re-run changes nothing") {
    val table = newTable()
    val first = runJob(table)
    assert(first.code == Contract.Exit.ok, first.err)
    val expected = Map(
      A -> expectedItem(A, runMin1),
      B -> expectedItem(B, runMin1),
      C -> expectedItem(C, runMin2),
      D -> expectedItem(D, runMin2),
      A2 -> expectedItem(A2, runMin2),
      E -> expectedItem(E, runMin3)
    )
    assert(Dynalite.scan(table) == expected)

    val s = first.summary
    assert((s \ "status").extract[String] == "SUCCEEDED")
    assert((s \ "etlTimeMode").extract[String] == "run")
    assert((s \ "runsSelected").extract[List[String]] == List("2017-01-01-00-00-00", "2017-01-02-00-00-00", "2017-01-03-00-00-00"))
    assert((s \ "runsExcluded").extract[Int] == 0)
    assert((s \ "ignoredPaths").extract[List[String]].map(p => new File(new java.net.URI(p).getPath).getName).toSet == Set("README", "notes", "run=2017-13-01-00-00-00"))
    assert((s \ "filesRead").extract[Long] == 3)
    assert((s \ "uniqueKeys").extract[Long] == 6)
    // Each run's earliest etl_tstamp over its valid lines (run 1's is a line without fingerprint).
    assert(
      (s \ "runEtlTimes").extract[Map[String, Long]] ==
        Map("2017-01-01-00-00-00" -> runMin1, "2017-01-02-00-00-00" -> runMin2, "2017-01-03-00-00-00" -> runMin3)
    )
    assert((s \ "since") == JNull && (s \ "until") == JNull)
    assert((s \ "writeRate").extract[Int] == 2000 && (s \ "writerTasks").extract[Int] == 2)
    // Local Spark: one executor (the driver) with both cores holds the whole budget.
    assert((s \ "writerExecutors").extract[Int] == 1 && (s \ "writePartitions").extract[Int] % 2 == 0)
    assert(ExecutorSet.parse(read(first.output.resolve(Contract.Output.executors).toFile)).map(_.cores).contains(Map("driver" -> 2)))
    assert(first.counter("linesRead") == 13 && first.counter("bad") == 3 && first.counter("noFingerprint") == 1)
    assert(first.counter("duplicatesInSelection") == 3 && first.counter("written") == 6)
    assert(first.counter("alreadyPresent") == 0 && first.counter("conflicting") == 0 && first.counter("expired") == 0)
    assert(first.balanced)
    assert(
      (s \ "badByReason").extract[Map[String, Long]] ==
        Map("LINE_TOO_LONG" -> 0L, "FIELD_COUNT" -> 1L, "INVALID_EVENT_ID" -> 1L, "INVALID_ETL_TSTAMP" -> 1L, "FINGERPRINT_TOO_LONG" -> 0L)
    )
    assert((first.progress \ "phase").extract[String] == "done" && (first.progress \ "written").extract[Long] == 6)
    assert((first.progress \ "uniqueKeys").extract[Long] == 6)
    assert(first.out.contains("6 written"))

    val badRows = Option(first.output.resolve(Contract.Output.badRows).toFile.listFiles()).toList.flatten
      .filter(_.getName.endsWith(".json"))
      .flatMap(f => read(f).split("\n").filter(_.nonEmpty))
      .map(JsonMethods.parse(_))
    assert(badRows.map(r => (r \ "reason").extract[String]).sorted == List("FIELD_COUNT", "INVALID_ETL_TSTAMP", "INVALID_EVENT_ID"))
    assert(badRows.forall(r => (r \ "sourceFile").extract[String].contains("run=2017-01-0")))
    assert(badRows.exists(r => (r \ "line").extract[String].contains("yesterday")))

    val second = runJob(table)
    assert(second.code == Contract.Exit.ok, second.err)
    assert(second.counter("alreadyPresent") == 6 && second.counter("written") == 0 && second.counter("conflicting") == 0)
    assert(second.balanced)
    assert(Dynalite.scan(table) == expected)
  }

  test("event mode: each key's earliest own etl_tstamp across runs") {
    val table = newTable()
    val r = runJob(table, Seq(Args.etlTime, "event", Args.ttlSeconds, "1000"))
    assert(r.code == Contract.Exit.ok, r.err)
    assert(
      Dynalite.scan(table) == Map(
        A -> expectedItem(A, epoch("2017-01-01 00:10:00"), 1000),
        B -> expectedItem(B, epoch("2017-01-01 00:05:00"), 1000),
        C -> expectedItem(C, epoch("2017-01-02 00:30:00"), 1000),
        D -> expectedItem(D, epoch("2017-01-02 00:20:00"), 1000),
        A2 -> expectedItem(A2, epoch("2017-01-02 00:45:00"), 1000),
        E -> expectedItem(E, epoch("2017-01-03 00:00:05"), 1000)
      )
    )
    assert((r.summary \ "etlTimeMode").extract[String] == "event" && r.balanced)
    // The same in either mode: it is a fact of the runs, not of what was written.
    assert((r.summary \ "runEtlTimes" \ "2017-01-02-00-00-00").extract[Long] == runMin2)
  }

  test("since (inclusive) and until (exclusive) select runs") {
    val table = newTable()
    val r = runJob(table, Seq(Args.since, "2017-01-02", Args.until, "2017-01-03-00-00-00"))
    assert(r.code == Contract.Exit.ok, r.err)
    assert(Dynalite.scan(table).keySet == Set(C, D, A, A2))
    assert(Dynalite.scan(table).values.forall(_(Contract.AttrEtlTime).n() == runMin2.toString))
    assert((r.summary \ "runsSelected").extract[List[String]] == List("2017-01-02-00-00-00"))
    assert((r.summary \ "runsExcluded").extract[Int] == 2)
    assert((r.summary \ "since").extract[String] == "2017-01-02-00-00-00")
    assert(r.counter("linesRead") == 6 && r.counter("duplicatesInSelection") == 1 && r.balanced)
  }

  test("a key already present with another etlTime is conflicting and left alone") {
    val table = newTable()
    Dynalite.put(table, expectedItem(A, 123L))
    val r = runJob(table)
    assert(r.code == Contract.Exit.ok, r.err)
    assert(r.counter("conflicting") == 1 && r.counter("written") == 5 && r.balanced)
    assert(Dynalite.scan(table)(A) == expectedItem(A, 123L))
  }

  test("with skip-expired, keys whose ttl is already past are counted, not written") {
    val table = newTable()
    val now = epoch("2017-01-03 00:10:00")
    val r = runJob(table, Seq(Args.skipExpired, "true", Args.ttlSeconds, "86400", Args.now, now.toString))
    assert(r.code == Contract.Exit.ok, r.err)
    assert(Dynalite.scan(table).keySet == Set(C, D, A2, E))
    assert(r.counter("expired") == 2 && r.counter("written") == 4 && r.balanced)
    assert((r.progress \ "expired").extract[Long] == 2)
  }

  test("throttling and 5xx answers are retried: nothing lost, retries counted") {
    val table = newTable()
    val proxy = new FaultProxy(Dynalite.endpoint, throttleEvery = 3, errorEvery = 4)
    try {
      val r = runJob(table, endpoint = proxy.endpoint.toString)
      assert(r.code == Contract.Exit.ok, r.err)
      assert(Dynalite.scan(table).keySet == Set(A, B, C, D, A2, E))
      assert(r.counter("written") == 6 && r.balanced)
      assert((r.summary \ "throttledRetries").extract[Long] == proxy.throttled.get().toLong && proxy.throttled.get() > 0)
      assert((r.summary \ "otherRetries").extract[Long] == proxy.failed.get().toLong && proxy.failed.get() > 0)
      assert((r.summary \ "longestWaitSeconds").extract[Double] > 0.0)
    } finally proxy.close()
  }

  test("a corrupt file among good ones: set aside and reported, the lines before the failure kept, the job succeeds") {
    val dir = temp("archive-corrupt")
    write(dir.resolve("run=2017-01-01-00-00-00/part-00000"), Seq(ev(A, "2017-01-01 00:10:00.500"), ev(B, "2017-01-01 00:05:00.100")))
    val run2 = dir.resolve("run=2017-01-02-00-00-00")
    write(run2.resolve("part-00000.gz"), Seq(ev(C, "2017-01-02 00:00:01.000")), gzip = true)
    // Many keys, all later than C: the run's etlTime stays C's whatever the cut keeps.
    val many = (1 to 3000).map(i => ev((uuid(1000 + i), s"fp$i"), "2017-01-02 00:30:00.000"))
    val truncated = write(run2.resolve("part-00001.gz"), many, gzip = true)
    truncate(truncated, java.nio.file.Files.size(truncated) / 2)
    val kept = completeGzipLines(truncated)
    assert(kept.nonEmpty && kept.size < many.size && kept == many.take(kept.size))
    write(run2.resolve("part-00002.gzip"), Seq("a .gzip that is plain text"))

    val table = newTable()
    val r = runJob(table, archiveDir = dir.toString)
    assert(r.code == Contract.Exit.ok, r.err)
    val keptKeys = kept.indices.map(i => (uuid(1001 + i), s"fp${i + 1}"))
    val expected = Seq(A, B).map(k => k -> expectedItem(k, epoch("2017-01-01 00:05:00"))).toMap ++
      (C +: keptKeys).map(k => k -> expectedItem(k, epoch("2017-01-02 00:00:01"))).toMap
    assert(Dynalite.scan(table) == expected)

    val s = r.summary
    val unreadable = (s \ "unreadableFiles").extract[List[Map[String, JValue]]]
    assert(unreadable.map(u => new File(new java.net.URI(u("path").extract[String]).getPath).getName) == List("part-00001.gz", "part-00002.gzip"))
    assert(unreadable.map(_("linesRead").extract[Long]) == List(kept.size.toLong, 0L))
    assert(unreadable.forall(_("error").extract[String].nonEmpty))
    assert((s \ "filesRead").extract[Long] == 4)
    assert(r.counter("linesRead") == 3 + kept.size && r.counter("written") == 3 + kept.size && r.counter("bad") == 0)
    assert(r.balanced)
    assert((s \ "badByReason").extract[Map[String, Long]].values.forall(_ == 0L))
    assert(r.err.contains("warning: could not read") && r.err.contains("part-00001.gz") && r.err.contains("part-00002.gzip"))
    assert(r.out.contains("2 unreadable file(s)"))

    val badRows = Option(r.output.resolve(Contract.Output.badRows).toFile.listFiles()).toList.flatten
      .filter(_.getName.endsWith(".json"))
      .flatMap(f => read(f).split("\n").filter(_.nonEmpty))
      .map(JsonMethods.parse(_))
    assert(badRows.map(r => (r \ "reason").extract[String]) == List("UNREADABLE_FILE", "UNREADABLE_FILE"))
    assert(badRows.forall(r => (r \ "line") == JNull && (r \ "error").extract[String].nonEmpty))
    assert(badRows.map(r => (r \ "sourceFile").extract[String]).sorted == unreadable.map(_("path").extract[String]))
  }

  test("no readable file at all is an input problem: exit 3 before anything is written") {
    val dir = temp("archive-unreadable")
    write(dir.resolve("run=2017-01-01-00-00-00/part-00000.gz"), Seq("not gzip"))
    write(dir.resolve("run=2017-01-02-00-00-00/part-00000.gzip"), Seq("not gzip either"))
    val table = newTable()
    val r = runJob(table, archiveDir = dir.toString)
    assert(r.code == Contract.Exit.input, r.err)
    assert(r.err.contains("none of the 2 file(s) of the selected runs could be read"))
    assert(Dynalite.scan(table).isEmpty)
  }

  test("access denied on PutItem fails the write tasks and exits 3 saying so") {
    val table = newTable()
    val proxy = new FaultProxy(Dynalite.endpoint, throttleEvery = 1000, errorEvery = 1000, denyPuts = true)
    try {
      val r = runJob(table, endpoint = proxy.endpoint.toString)
      assert(r.code == Contract.Exit.input, r.err)
      assert(r.err.contains("access denied or bad credentials for PutItem on table " + table) && r.err.contains("allows dynamodb:PutItem on the table"))
      assert((r.progress \ "phase").extract[String] == "failed")
    } finally proxy.close()
  }

  test("input problems exit 3 with what to fix") {
    val missing = runJob("no-such-table")
    assert(missing.code == Contract.Exit.input)
    assert(missing.err.contains("table no-such-table not found in region us-east-1: create it with eventId (HASH, S) and fingerprint (RANGE, S)"))
    assert((missing.progress \ "phase").extract[String] == "failed")
    assert((missing.progress \ "message").extract[String].contains("not found"))

    val wrongKeys = s"wrong-keys-${tables.incrementAndGet()}"
    Dynalite.createTable(wrongKeys, Seq("id" -> KeyType.HASH))
    val wrong = runJob(wrongKeys)
    assert(wrong.code == Contract.Exit.input && wrong.err.contains("expected eventId (HASH, S) and fingerprint (RANGE, S)"))

    val table = newTable()
    val none = runJob(table, Seq(Args.since, "2018-01-01"))
    assert(none.code == Contract.Exit.input && none.err.contains(Args.since))

    val noArchive = runJob(table, archiveDir = archive.resolve("nope").toString)
    assert(noArchive.code == Contract.Exit.input && noArchive.err.contains("does not exist"))

    val closedPort = { val s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress); try s.getLocalPort finally s.close() }
    val unreachable = runJob(table, endpoint = s"http://127.0.0.1:$closedPort")
    assert(unreachable.code == Contract.Exit.input && unreachable.err.contains("cannot reach http://127.0.0.1:"))

    val noRuns = runJob(table, archiveDir = archive.resolve("notes").toString)
    assert(noRuns.code == Contract.Exit.input && noRuns.err.contains("no run="))
    assert(Dynalite.scan(table).isEmpty)
  }

  test("a task that fails once is retried (local[N,4]): the job succeeds and the table is exact") {
    val table = newTable()
    val proxy = new FaultProxy(Dynalite.endpoint, throttleEvery = 1000000, errorEvery = 1000000, fatalFirst = 1)
    try {
      val r = runJob(table, endpoint = proxy.endpoint.toString)
      assert(r.code == Contract.Exit.ok, r.err)
      assert(Dynalite.scan(table).keySet == Set(A, B, C, D, A2, E))
      // The retried attempt finds what the first one wrote: already present, never twice.
      assert(r.counter("written") + r.counter("alreadyPresent") == 6 && r.balanced)
    } finally proxy.close()
  }

  test("an over-long fingerprint and an over-long line are bad lines, not a failed job") {
    val dir = temp("archive-long")
    val longFp = "f" * (Contract.MaxSortKeyBytes + 1)
    val huge = { val f = enriched(uuid(71), "2017-01-01 00:00:00.000", "fpHuge").split("\t", -1); f(52) = "x" * (5 * 1024 * 1024); f.mkString("\t") }
    write(
      dir.resolve("run=2017-01-01-00-00-00/part-00000"),
      Seq(ev(A, "2017-01-01 00:10:00.500"), enriched(uuid(70), "2017-01-01 00:00:01.000", longFp), huge, ev(B, "2017-01-01 00:05:00.100"))
    )
    val table = newTable()
    val r = runJob(table, archiveDir = dir.toString)
    assert(r.code == Contract.Exit.ok, r.err)
    assert(Dynalite.scan(table).keySet == Set(A, B))
    assert(r.counter("bad") == 2 && r.counter("written") == 2 && r.balanced)
    val byReason = (r.summary \ "badByReason").extract[Map[String, Long]]
    assert(byReason(Contract.BadRowReasons.fingerprintTooLong) == 1 && byReason(Contract.BadRowReasons.lineTooLong) == 1)
    val rows = Option(r.output.resolve(Contract.Output.badRows).toFile.listFiles()).toList.flatten.flatMap(f => read(f).split("\n").filter(_.nonEmpty)).map(JsonMethods.parse(_))
    val tooLong = rows.filter(x => (x \ "reason").extract[String] == Contract.BadRowReasons.lineTooLong)
    assert(tooLong.size == 1 && (tooLong.head \ "line").extract[String].length == Contract.BadRowLinePrefixChars)
  }

  test("a local archive whose path has a space, # and non-ASCII letters, given as a file: URI") {
    val parent = temp("archive-odd")
    val dir = parent.resolve("arch ive #1 \u00fc")
    write(dir.resolve("run=2017-01-01-00-00-00/part-00000"), Seq(ev(A, "2017-01-01 00:10:00.500")))
    val table = newTable()
    val r = runJob(table, archiveDir = dir.toUri.toString) // file:///tmp/.../arch%20ive%20%231%20%C3%BC/
    assert(dir.toUri.toString.contains("%20") && dir.toUri.toString.contains("%23"))
    assert(r.code == Contract.Exit.ok, r.err)
    assert(Dynalite.scan(table).keySet == Set(A) && r.counter("written") == 1)
  }

  test("a transient storage error (503 SlowDown) part-way through a file fails the task for a retry, never sets the file aside") {
    FlakyFileSystem.register(TestSpark.session.sparkContext.hadoopConfiguration)
    val dir = temp("archive-flaky")
    val many = (1 to 500).map(i => ev((uuid(2000 + i), s"fp$i"), "2017-01-02 00:30:00.000"))
    write(dir.resolve("run=2017-01-02-00-00-00/part-slowdown-once.gz"), many, gzip = true)
    write(dir.resolve("run=2017-01-02-00-00-00/part-00000"), Seq(ev(C, "2017-01-02 00:00:01.000")))
    val table = newTable()
    val r = runJob(table, archiveDir = FlakyFileSystem.uri(dir))
    assert(r.code == Contract.Exit.ok, r.err)
    assert((r.summary \ "unreadableFiles").children.isEmpty, r.summary \ "unreadableFiles")
    assert(r.counter("linesRead") == 501 && r.counter("written") == 501 && r.balanced)
    assert(Dynalite.scan(table).size == 501)
  }

  test("memory does not grow with the files of a task: 100,000 small files read in one task") {
    val n = 100000
    val run = "2017-01-01-00-00-00"
    val files = (1 to n).map(i => ArchiveFile(run, s"synthetic:///run=$run/part-$i", 1400L))
    val output = temp("output-many").toUri.toString
    val sc = TestSpark.session.sparkContext
    val (keys, opened, reachable) = sc
      .parallelize(Seq(files), 1)
      .mapPartitions { groups =>
        val conf = new org.apache.hadoop.conf.Configuration()
        ArchiveReader.registerCodecs(conf)
        SyntheticFileSystem.register(conf)
        SyntheticFileSystem.reset()
        // Small buffers: what is retained per file shows in numbers, not in an OutOfMemoryError.
        conf.setInt("io.file.buffer.size", 4096)
        val records = ReadStage.readPartition(groups.next(), Map(run -> 0), EtlTimeMode.Run, conf, output, 0, () => ())
        var keys = 0L
        records.foreach { case (k, _) => if (k.isInstanceOf[KeyOf]) keys += 1 }
        // Still inside the task: whatever the task keeps until its end is reachable here.
        Iterator.single((keys, SyntheticFileSystem.openedCount, SyntheticFileSystem.reachable()))
      }
      .collect()
      .head
    assert(keys == n && opened == n)
    assert(reachable <= 2, s"$reachable of $n finished files still held by the task")
  }

  test("write partitions: about 10,000 keys each, at least one per slot, always a multiple of the slots") {
    assert(Job.writePartitionCount(0, 2) == 2 && Job.writePartitionCount(15000, 2) == 2 && Job.writePartitionCount(25000, 2) == 4)
    assert(Job.writePartitionCount(1000000, 128) == 128 && Job.writePartitionCount(1300000, 128) == 256)
    for (slots <- Seq(1, 3, 7, 64, 128, 500); keys <- Seq(0L, 9999L, 123456789L, 10000000000L))
      assert(Job.writePartitionCount(keys, slots) % slots == 0 && Job.writePartitionCount(keys, slots) <= math.max(slots, 20000))
  }

  test("usage errors exit 2 naming the argument") {
    val err = new ByteArrayOutputStream()
    val code = Main.run(Seq(Args.archive, "x"), Some(TestSpark.session), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, "UTF-8"))
    assert(code == Contract.Exit.usage && err.toString("UTF-8").contains(Args.output))
  }

  // ---- Import mode (issue 13): the same items as gz DYNAMODB_JSON files instead of puts ----

  /** An endpoint nothing listens on: an import run must never call DynamoDB (the table does not exist yet). */
  private lazy val deadEndpoint: String = {
    val s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress)
    try s"http://127.0.0.1:${s.getLocalPort}" finally s.close()
  }

  private def runImport(folder: Path, extra: Seq[String] = Nil, archiveDir: String = archive.toString): Outcome =
    runJob("table-to-import", Seq(Args.importTo, s"$folder/") ++ extra, archiveDir, endpoint = deadEndpoint)

  private def importSummary(r: Outcome): Map[String, Long] =
    (r.summary \ "import").asInstanceOf[JObject].obj.collect { case (k, v) if k != "folder" => k -> v.extract[Long] }.toMap

  /** The summary's `import` against the folder as read back: objects, items, bytes, compressed bytes. */
  private def assertImportReport(r: Outcome, folder: Path): Unit = {
    val objs = ImportFolder.objects(folder)
    assert((r.summary \ "import" \ "folder").extract[String] == s"$folder/")
    assert(
      importSummary(r) == Map(
        "objects" -> objs.size.toLong,
        "items" -> objs.map(_.lines.size.toLong).sum,
        "bytes" -> objs.map(_.bytes).sum,
        "compressedBytes" -> objs.map(_.compressedBytes).sum
      ),
      r.summary \ "import"
    )
    assert(r.counter("written") == objs.map(_.lines.size.toLong).sum)
    assert(r.counter("alreadyPresent") == 0 && r.counter("conflicting") == 0 && r.balanced)
    // Nothing but the import files in the folder, and the temporary folder beside it is gone.
    assert(ImportFolder.namedInOrder(folder), ImportFolder.allFiles(folder))
    assert(!java.nio.file.Files.exists(folder.getParent.resolve(s"_${folder.getFileName}.temporary")))
  }

  test("import mode: the files hold exactly the items the puts write, one valid {\"Item\"} per line, gzip; no table is described") {
    val table = newTable()
    val puts = runJob(table)
    assert(puts.code == Contract.Exit.ok, puts.err)
    assert(puts.summary \ "import" == JNull)

    val folder = temp("import-run").resolve("import")
    val r = runImport(folder)
    assert(r.code == Contract.Exit.ok, r.err)
    assert(ImportFolder.items(folder) == Dynalite.scan(table))
    assert(ImportFolder.items(folder).keySet == Set(A, B, C, D, A2, E) && ImportFolder.items(folder)(A) == expectedItem(A, runMin1))
    assertImportReport(r, folder)
    // Same read, classify and dedupe as the puts: every counter but the put outcomes alike.
    for (c <- Seq("linesRead", "bad", "noFingerprint", "expired", "duplicatesInSelection")) assert(r.counter(c) == puts.counter(c), c)
    assert(r.counter("written") == 6)
    assert((r.progress \ "phase").extract[String] == "done" && (r.progress \ "written").extract[Long] == 6)
    assert(r.out.contains("6 written") && r.out.contains("import files: "))
    assert((r.summary \ "writeRate").extract[Int] == 2000)
  }

  test("import mode with skip-expired and event mode: expired items left out and counted, as the puts do") {
    val now = epoch("2017-01-03 00:10:00")
    val flags = Seq(Args.skipExpired, "true", Args.ttlSeconds, "86400", Args.now, now.toString, Args.etlTime, "event")
    val table = newTable()
    val puts = runJob(table, flags)
    assert(puts.code == Contract.Exit.ok, puts.err)
    val folder = temp("import-expired").resolve("import")
    val r = runImport(folder, flags)
    assert(r.code == Contract.Exit.ok, r.err)
    assert(ImportFolder.items(folder) == Dynalite.scan(table) && ImportFolder.items(folder).nonEmpty)
    assert(r.counter("expired") == puts.counter("expired") && r.counter("expired") > 0)
    assertImportReport(r, folder)
    assert((r.progress \ "expired").extract[Long] == r.counter("expired"))
  }

  test("import files: at most the items per object, rows not sorted by key, a re-run replaces the files, anything else in the folder is refused") {
    val dir = temp("archive-import-many")
    val keys = (1 to 3000).map(i => (uuid(50000 + i), f"fp$i%05d"))
    write(dir.resolve("run=2017-01-01-00-00-00/part-00000"), keys.map(k => ev(k, "2017-01-01 00:10:00.000")))
    val output = temp("output-import-many")
    val folder = output.resolve("import")
    def config(perObject: Int) =
      JobConfig
        .parse(Seq(Args.archive, dir.toString, Args.output, output.toString, Args.table, "t-import", Args.region, Dynalite.region,
          Args.dynamodbEndpoint, deadEndpoint, Args.importTo, s"$folder/"))
        .fold(e => fail(e), identity)
        .copy(importItemsPerObject = perObject)
    val small = Job.run(TestSpark.session, config(1000), _ => ())
    val objs = ImportFolder.objects(folder)
    assert(objs.size >= 3 && objs.forall(_.lines.size <= 1000) && objs.map(_.lines.size).sum == 3000, objs.map(o => o.name -> o.lines.size))
    assert(small.imported.exists(i => i.objects == objs.size && i.items == 3000) && small.counters.written == 3000)
    assert(ImportFolder.items(folder).keySet == keys.toSet && ImportFolder.namedInOrder(folder))
    // Shuffled, not sorted: ImportTable would make rolling hot partitions of key-sorted rows.
    objs.foreach { o =>
      val order = o.lines.map(l => ImportFolder.item(l)(Contract.AttrFingerprint).s())
      assert(order != order.sorted && order != order.sorted.reverse, o.name)
    }

    val again = Job.run(TestSpark.session, config(Contract.ImportItemsPerObject), _ => ())
    assert(again.imported.exists(_.objects == 2), again.imported) // one per task slot of local[2]
    assert(ImportFolder.allFiles(folder) == Vector("part-00000.json.gz", "part-00001.json.gz"))
    assert(ImportFolder.items(folder).keySet == keys.toSet)

    Files2.write(folder.resolve("notes.txt"), Seq("mine"))
    val err = new ByteArrayOutputStream()
    val args = Seq(Args.archive, dir.toString, Args.output, output.toString, Args.table, "t-import", Args.region, Dynalite.region,
      Args.dynamodbEndpoint, deadEndpoint, Args.importTo, s"$folder/")
    val code = Main.run(args, Some(TestSpark.session), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, "UTF-8"))
    assert(code == Contract.Exit.input && err.toString("UTF-8").contains("notes.txt") && err.toString("UTF-8").contains("ImportTable reads every object"))
    assert(ImportFolder.allFiles(folder).size == 3) // refused before anything was deleted
  }

  test("import files: any string comes back exactly (Jackson escaping), sizes counted exactly") {
    val file = temp("import-file").resolve("one.json.gz")
    val odd = Seq("quote\"", "back\\slash", "ctl\u0001\u001f", "\u00e9t\u00e9", "\ud83d\ude00", "</script>", "tab\there", "line\nbreak", "\u2028")
    val items = odd.zipWithIndex.map { case (fp, i) => ManifestItem(uuid(i), fp, 1485388885L + i, 1500940885L + i) }
    val out = new ImportFileOutput(new org.apache.hadoop.fs.Path(file.toUri), new org.apache.hadoop.conf.Configuration())
    items.foreach(out.write)
    out.close()
    val back = ImportFolder.objects(file.getParent).head
    assert(back.lines.size == items.size && out.items == items.size)
    assert(back.lines.map(ImportFolder.item) == items.map(i => expectedItem((i.eventId, i.fingerprint), i.etlTime, i.ttl - i.etlTime)))
    assert(out.bytes == back.bytes && out.compressedBytes == back.compressedBytes)
    assert(ImportFolder.allFiles(file.getParent) == Vector("one.json.gz")) // no .crc beside it
  }

  test("import objects: enough for the items per object, at least one per task slot, never over ImportTable's 50,000") {
    val per = Contract.ImportItemsPerObject
    assert(ImportStage.objectCount(0, 2, per) == 2 && ImportStage.objectCount(6, 2, per) == 2)
    assert(ImportStage.objectCount(per.toLong * 10 + 1, 4, per) == 11 && ImportStage.objectCount(per.toLong * 10, 64, per) == 64)
    assert(ImportStage.objectCount(per.toLong * Contract.ImportMaxObjects, 2, per) == Contract.ImportMaxObjects)
    assert(ImportStage.objectCount(1000, 80000, per) == Contract.ImportMaxObjects)
    val e = intercept[InputError](ImportStage.objectCount(per.toLong * Contract.ImportMaxObjects + 1, 2, per))
    assert(e.getMessage.contains("over ImportTable's limit of 50000 objects") && e.getMessage.contains(Args.until))
  }

  test("import mode usage errors exit 2: with --resume-from, with --skip-present true, a folder holding the output") {
    def usage(extra: Seq[String], folder: String): String = {
      val err = new ByteArrayOutputStream()
      val out = temp("output-import-usage")
      val args = Seq(Args.archive, archive.toString, Args.output, out.toString, Args.table, "t-import", Args.region, Dynalite.region, Args.importTo, folder) ++ extra
      val code = Main.run(args, Some(TestSpark.session), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, "UTF-8"))
      assert(code == Contract.Exit.usage, err.toString("UTF-8"))
      err.toString("UTF-8")
    }
    val folder = s"${temp("import-usage")}/import/"
    assert(usage(Seq(Args.resumeFrom, "/tmp/old-run"), folder).contains(s"${Args.resumeFrom} cannot be used with ${Args.importTo}"))
    assert(usage(Seq(Args.skipPresent, "true"), folder).contains(s"${Args.skipPresent} true cannot be used"))
    assert(usage(Nil, s"${archive.getParent}/").contains("holds"))
  }
}
