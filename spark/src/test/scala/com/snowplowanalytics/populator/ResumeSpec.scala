package com.snowplowanalytics.populator

import java.io.{ByteArrayOutputStream, PrintStream}
import java.nio.file.Path

import scala.jdk.CollectionConverters._

import org.json4s._
import org.json4s.jackson.JsonMethods
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

import com.snowplowanalytics.populator.generated.Contract
import com.snowplowanalytics.populator.generated.Contract.Args

/** Progress records and `--resume-from`: a stopped run resumed sends only what was not recorded written. */
class ResumeSpec extends AnyFunSuite with BeforeAndAfterAll {
  import Files2._
  import Lines._

  private implicit val formats: Formats = DefaultFormats

  override def beforeAll(): Unit = { TestSpark.session; Dynalite.endpoint; () }

  private val keys = 3000
  private lazy val archive: Path = archiveIn(temp("resume-archive"))
  private def archiveIn(dir: Path): Path = {
    write(dir.resolve("run=2017-01-01-00-00-00/part-00000"), (0 until keys / 2).map(i => enriched(uuid(i), "2017-01-01 00:10:00.500", s"fp$i")))
    write(dir.resolve("run=2017-01-02-00-00-00/part-00000.gz"), (keys / 2 until keys).map(i => enriched(uuid(i), "2017-01-02 00:10:00.500", s"fp$i")), gzip = true)
    dir
  }

  private final class Outcome(val code: Int, val err: String, val output: Path) {
    lazy val summary: JValue = JsonMethods.parse(read(output.resolve(Contract.Output.summary).toFile))
    def counter(name: String): Long = (summary \ "counters" \ name).extract[Long]
    def balanced: Boolean =
      counter("linesRead") == Seq("bad", "noFingerprint", "expired", "duplicatesInSelection", "written", "alreadyPresent", "conflicting").map(counter).sum
  }

  private var tables = 0
  private def newTable(): String = { tables += 1; val t = s"resume-$tables"; Dynalite.createTable(t); t }

  private def runJob(table: String, endpoint: String, extra: Seq[String] = Nil, archiveDir: String = archive.toString): Outcome = {
    val output = temp("resume-output")
    val out, err = new ByteArrayOutputStream()
    val args = Seq(
      Args.archive, archiveDir, Args.output, output.toString, Args.table, table, Args.region, Dynalite.region,
      Args.dynamodbEndpoint, endpoint, Args.writeRate, "3000", Args.maxInFlight, "4", Args.now, "1500000000"
    ) ++ extra
    val code = Main.run(args, Some(TestSpark.session), new PrintStream(out, true, "UTF-8"), new PrintStream(err, true, "UTF-8"))
    new Outcome(code, err.toString("UTF-8"), output)
  }

  private def expected: Set[(String, String)] = (0 until keys).map(i => (uuid(i), s"fp$i")).toSet

  test("tracker: answers in any order become sorted disjoint ranges with their outcomes; skips follow them") {
    val t = new PartitionTracker(7, Some(PartitionRecord(7, done = false, None, Vector((0L, 3L)), Outcomes(written = 3))))
    Seq(5L -> Settled.Present, 3L -> Settled.Written, 9L -> Settled.Conflict, 4L -> Settled.Expired, 8L -> Settled.Written).foreach { case (i, s) => t.settle(i, s) }
    val r = t.snapshot(done = false)
    assert(r.ranges == Vector((0L, 6L), (8L, 10L)))
    assert(r.outcomes == Outcomes(written = 5, alreadyPresent = 1, conflicting = 1, expired = 1) && r.covered == r.outcomes.keys)
    assert(Resume.recordOf(Resume.recordJson(r)) == r)
    val skips = new Resume.Skips(r.ranges)
    assert((0L to 11L).filter(skips.contains) == Seq(0L, 1L, 2L, 3L, 4L, 5L, 8L, 9L))
  }

  test("a run stopped part-way through its writes, resumed twice: the table is exact, counters add up, no recorded key is sent again") {
    val table = newTable()
    val stop1 = new FaultProxy(Dynalite.endpoint, throttleEvery = Int.MaxValue, errorEvery = Int.MaxValue, fatalAfter = 1000)
    val first = try runJob(table, stop1.endpoint.toString) finally stop1.close()
    assert(first.code == Contract.Exit.failed, first.err)
    val afterFirst = Dynalite.scan(table).size
    assert(afterFirst >= 900 && afterFirst <= 1000)
    assert(first.output.resolve("resume/plan.json").toFile.exists)

    // The second stops too; the third resumes the second (which carries what the first recorded).
    val stop2 = new FaultProxy(Dynalite.endpoint, throttleEvery = Int.MaxValue, errorEvery = Int.MaxValue, fatalAfter = 1000)
    val second = try runJob(table, stop2.endpoint.toString, Seq(Args.resumeFrom, first.output.toString)) finally stop2.close()
    assert(second.code == Contract.Exit.failed, second.err)
    val afterSecond = Dynalite.scan(table).size
    assert(afterSecond > afterFirst + 800)

    val counting = new FaultProxy(Dynalite.endpoint, throttleEvery = Int.MaxValue, errorEvery = Int.MaxValue)
    val third = try runJob(table, counting.endpoint.toString, Seq(Args.resumeFrom, second.output.toString)) finally counting.close()
    assert(third.code == Contract.Exit.ok, third.err)
    assert(Dynalite.scan(table).keySet == expected)
    val items = Dynalite.scan(table)
    assert(items.forall { case ((_, fp), item) =>
      val run1 = fp.drop(2).toInt < keys / 2
      item(Contract.AttrEtlTime).n().toLong == (if (run1) epoch("2017-01-01 00:10:00") else epoch("2017-01-02 00:10:00"))
    })
    assert(third.balanced && third.counter("linesRead") == keys)
    assert(third.counter("written") + third.counter("alreadyPresent") == keys)
    val saved = (third.summary \ "resume" \ "writesSaved").extract[Long]
    // Every put the last run sent was a key no record showed settled: at most the keys not in the table plus in-flight leftovers.
    assert(counting.putsSeen.toLong == keys - saved)
    assert(counting.putsSeen <= keys - afterSecond + 8 * 2 * 4 * 2)
    assert(saved >= afterSecond - 8 * 2 * 4 * 2)
    assert((third.summary \ "resume" \ "thisRun" \ "written").extract[Long] + (third.summary \ "resume" \ "thisRun" \ "alreadyPresent").extract[Long] == counting.putsSeen.toLong)
  }

  test("a resume with other inputs is refused, naming the difference, before anything is written") {
    val table = newTable()
    val stop = new FaultProxy(Dynalite.endpoint, throttleEvery = Int.MaxValue, errorEvery = Int.MaxValue, fatalAfter = 100)
    val first = try runJob(table, stop.endpoint.toString) finally stop.close()
    assert(first.code == Contract.Exit.failed)
    val before = Dynalite.scan(table).size
    val other = runJob(table, Dynalite.endpoint.toString, Seq(Args.resumeFrom, first.output.toString, Args.since, "2017-01-02"))
    assert(other.code == Contract.Exit.input, other.err)
    assert(other.err.contains("cannot resume") && other.err.contains("--since was '', now '2017-01-02-00-00-00'"), other.err)
    // The same arguments over a changed archive: the run that changed is named.
    val changed = archiveIn(temp("resume-archive-changed"))
    write(changed.resolve("run=2017-01-02-00-00-00/part-00001"), Seq(enriched(uuid(keys + 1), "2017-01-02 00:10:00.500", "fpNew")))
    val stop2 = new FaultProxy(Dynalite.endpoint, throttleEvery = Int.MaxValue, errorEvery = Int.MaxValue, fatalAfter = 100)
    val base = try runJob(table, stop2.endpoint.toString, archiveDir = changed.toString) finally stop2.close()
    assert(base.code == Contract.Exit.failed)
    write(changed.resolve("run=2017-01-02-00-00-00/part-00002"), Seq(enriched(uuid(keys + 2), "2017-01-02 00:10:00.500", "fpNew2")))
    val moved = runJob(table, Dynalite.endpoint.toString, Seq(Args.resumeFrom, base.output.toString), archiveDir = changed.toString)
    assert(moved.code == Contract.Exit.input, moved.err)
    assert(moved.err.contains("the archive changed since it ran (run=2017-01-02-00-00-00 had 2 file(s)"), moved.err)
    assert(Dynalite.scan(table).size <= before + 100)
  }

  private def item(e: String, f: String, etl: Long, ttl: Long) = {
    def n(v: Long) = software.amazon.awssdk.services.dynamodb.model.AttributeValue.builder().n(v.toString).build()
    def s(v: String) = software.amazon.awssdk.services.dynamodb.model.AttributeValue.builder().s(v).build()
    Map(Contract.AttrEventId -> s(e), Contract.AttrFingerprint -> s(f), Contract.AttrEtlTime -> n(etl), Contract.AttrTtl -> n(ttl))
  }

  test("--skip-present: keys the table holds are looked up, not put, counted as their puts would have been, and left as they are") {
    val table = newTable()
    val etl1 = epoch("2017-01-01 00:10:00")
    (0 until 600).foreach(i => Dynalite.put(table, item(uuid(i), s"fp$i", etl1, 42L)))
    (600 until 700).foreach(i => Dynalite.put(table, item(uuid(i), s"fp$i", 7L, 42L)))
    val counting = new FaultProxy(Dynalite.endpoint, throttleEvery = Int.MaxValue, errorEvery = Int.MaxValue)
    val r = try runJob(table, counting.endpoint.toString, Seq(Args.skipPresent, "true")) finally counting.close()
    assert(r.code == Contract.Exit.ok, r.err)
    assert(counting.putsSeen == keys - 700)
    assert(r.counter("alreadyPresent") == 600 && r.counter("conflicting") == 100 && r.counter("written") == keys - 700 && r.balanced)
    val sp = r.summary \ "skipPresent"
    assert((sp \ "lookedUp").extract[Long] == keys && (sp \ "skippedPresent").extract[Long] == 600 && (sp \ "skippedConflicting").extract[Long] == 100)
    assert((sp \ "putsSaved").extract[Long] == 700 && (sp \ "requests").extract[Long] >= keys / SkipPresent.BatchSize)
    val items = Dynalite.scan(table)
    assert(items.keySet == expected)
    // Not rewritten: the ttl found stays (a put would have set this run's), the other etlTime too.
    assert((0 until 600).forall(i => items((uuid(i), s"fp$i"))(Contract.AttrTtl).n() == "42"))
    assert((600 until 700).forall(i => items((uuid(i), s"fp$i"))(Contract.AttrEtlTime).n() == "7"))
    assert(runJob(table, Dynalite.endpoint.toString).summary \ "skipPresent" == JNull)
  }

  test("--skip-present's lookup: unprocessed keys and throttling are retried with backoff, an item without etlTime is found") {
    import java.util.concurrent.CompletableFuture
    import software.amazon.awssdk.services.dynamodb.model._
    val clock = new FakeClock()
    val settings = WriteSettings("t", "us-east-1", None, 100, 4)
    val all = (0 until 5).map(i => ManifestItem(s"e$i", s"f$i", 10L, 20L))
    var calls = Vector.empty[Int]
    def found(i: Int, etl: Option[Long]) = (Map(Contract.AttrEventId -> AttributeValue.builder().s(s"e$i").build(), Contract.AttrFingerprint -> AttributeValue.builder().s(s"f$i").build()) ++
      etl.map(e => Contract.AttrEtlTime -> AttributeValue.builder().n(e.toString).build())).asJava
    def keysOf(req: BatchGetItemRequest) = req.requestItems().get("t").keys().asScala.map(_.get(Contract.AttrEventId).s().drop(1).toInt).toVector
    val get: BatchGetItemRequest => CompletableFuture[BatchGetItemResponse] = req => {
      val ks = keysOf(req)
      assert(!req.requestItems().get("t").consistentRead())
      calls :+= ks.size
      calls.size match {
        case 1 => // e0 found; e3, e4 unprocessed
          CompletableFuture.completedFuture(BatchGetItemResponse.builder()
            .responses(Map("t" -> List(found(0, Some(10L))).asJava).asJava)
            .unprocessedKeys(Map("t" -> KeysAndAttributes.builder().keys(found(3, None), found(4, None)).build()).asJava).build())
        case 2 => val f = new CompletableFuture[BatchGetItemResponse](); f.completeExceptionally(ProvisionedThroughputExceededException.builder().statusCode(400).message("slow").build()); f
        case _ =>
          CompletableFuture.completedFuture(BatchGetItemResponse.builder().responses(Map("t" -> List(found(3, None)).asJava).asJava).build())
      }
    }
    val (present, counts) = SkipPresent.lookup(all, get, settings, clock, () => 1.0, e => e)
    assert(calls == Vector(5, 2, 2))
    assert(present == Map(("e0", "f0") -> Some(10L), ("e3", "f3") -> None))
    assert(counts == LookupCounts(lookedUp = 5, lookups = 3, throttled = 2))
    assert(clock.now > 0) // it waited before each retry
    // Throttled past 10 minutes: the task fails, saying what to do.
    val always: BatchGetItemRequest => CompletableFuture[BatchGetItemResponse] = _ => { val f = new CompletableFuture[BatchGetItemResponse](); f.completeExceptionally(ProvisionedThroughputExceededException.builder().statusCode(400).build()); f }
    val e = intercept[ManifestWriteException](SkipPresent.lookup(all, always, settings, clock, () => 1.0, x => x))
    assert(e.getMessage.contains("throttled for 10 minutes") && e.getMessage.contains("--skip-present"))
    // What retrying cannot fix fails at once, as the caller maps it.
    val denied: BatchGetItemRequest => CompletableFuture[BatchGetItemResponse] = _ => { val f = new CompletableFuture[BatchGetItemResponse](); f.completeExceptionally(DynamoDbException.builder().statusCode(400).message("bad").build()); f }
    val mapped = new IllegalStateException("mapped")
    assert(intercept[IllegalStateException](SkipPresent.lookup(all, denied, settings, clock, () => 1.0, _ => mapped)) eq mapped)
  }
}
