package com.snowplowanalytics.populator

import org.scalatest.funsuite.AnyFunSuite

import com.snowplowanalytics.populator.Classified._
import com.snowplowanalytics.populator.generated.Contract

class ClassifySpec extends AnyFunSuite {
  import Lines._

  test("the real enriched line is valid, with its event id, fingerprint and etl_tstamp") {
    assert(sample.split("\t", -1).length == Contract.EnrichedColumnCount)
    assert(
      Classify.classify(sample) ==
        Valid("1799a90f-f570-4414-b91a-b0db8f39cc2e", "bed9a39a0917874d2ff072033a6413d9", epoch("2016-11-27 08:46:40"))
    )
  }

  test("2017-01-26 00:01:25.292 gives etlTime 1485388885 and, with the default TTL, ttl 1500940885") {
    val etl = Classify.parseEtlTstamp("2017-01-26 00:01:25.292")
    assert(etl.contains(1485388885L))
    assert(etl.map(_ + Contract.DefaultTtlSeconds).contains(1500940885L))
  }

  test("etl_tstamp: fewer (or more) fractional digits are accepted, garbage is not") {
    Seq("2017-01-26 00:01:25.0", "2017-01-26 00:01:25.29", "2017-01-26 00:01:25", "2017-01-26 00:01:25.292000")
      .foreach(s => assert(Classify.parseEtlTstamp(s).contains(1485388885L), s))
    Seq(
      "", "2017-01-26", "2017-01-26T00:01:25.292", "2017-01-26 00:01:25.", "2017-01-26 00:01:25.29x", "2017-02-30 00:01:25.292",
      "2017-01-26 24:00:00.000", "2017-01-26 00:60:00.000", "2017-1-26 00:01:25.292", " 2017-01-26 00:01:25.292",
      "2017-01-26 00:01:25.2920000000", "garbage garbage garb"
    ).foreach(s => assert(Classify.parseEtlTstamp(s).isEmpty, s))
  }

  test("a line with too few or too many fields is FIELD_COUNT") {
    val f = sample.split("\t", -1)
    assert(Classify.classify(f.dropRight(1).mkString("\t")) == Bad(Contract.BadRowReasons.fieldCount))
    assert(Classify.classify((f :+ "").mkString("\t")) == Bad(Contract.BadRowReasons.fieldCount))
    assert(Classify.classify((f :+ "x" :+ "y").mkString("\t")) == Bad(Contract.BadRowReasons.fieldCount))
    assert(Classify.classify("") == Bad(Contract.BadRowReasons.fieldCount))
    assert(Classify.classify("\t" * (Contract.EnrichedColumnCount + 5)) == Bad(Contract.BadRowReasons.fieldCount))
    // trailing empty fields count, as with split("\t", -1)
    assert(Classify.classify(f.take(Contract.EventFingerprintIndex + 1).mkString("\t") + "\t").isInstanceOf[Valid])
  }

  test("an event id that is not a UUID is INVALID_EVENT_ID") {
    Seq("", "not-a-uuid", "1-1-1-1-1", "1799a90f-f570-4414-b91a-b0db8f39cc2", "1799a90f-f570-4414-b91a-b0db8f39cc2g", "1799a90ff570-4414-b91a-b0db8f39cc2e0")
      .foreach(id => assert(Classify.classify(enriched(id, "2017-01-26 00:01:25.292", "fp")) == Bad(Contract.BadRowReasons.eventId), id))
    assert(Classify.classify(enriched("1799A90F-F570-4414-B91A-B0DB8F39CC2E", "2017-01-26 00:01:25.292", "fp")).isInstanceOf[Valid])
  }

  test("an unparseable etl_tstamp is INVALID_ETL_TSTAMP") {
    assert(Classify.classify(enriched(uuid(1), "2017-01-26T00:01:25Z", "fp")) == Bad(Contract.BadRowReasons.etlTstamp))
    assert(Classify.classify(enriched(uuid(1), "", "fp")) == Bad(Contract.BadRowReasons.etlTstamp))
  }

  test("a valid line with an empty fingerprint is NoFingerprint") {
    assert(Classify.classify(enriched(uuid(1), "2017-01-26 00:01:25.292", "")) == NoFingerprint(uuid(1), 1485388885L))
  }

  test("fields are those of split(\"\\t\", -1)") {
    val rnd = new scala.util.Random(7)
    (1 to 300).foreach { _ =>
      val keep = Set(Contract.EtlTstampIndex, Contract.EventIdIndex)
      val f = sample.split("\t", -1).zipWithIndex.map { case (x, i) => if (!keep(i) && rnd.nextInt(10) == 0) "" else x }
      val n = Contract.EnrichedColumnCount + rnd.nextInt(3) - 1
      val line = f.padTo(n, "").take(n).mkString("\t")
      val parts = line.split("\t", -1)
      val expected =
        if (parts.length != Contract.EnrichedColumnCount) "bad"
        else if (parts(Contract.EventFingerprintIndex).isEmpty) s"nofp:${parts(Contract.EventIdIndex)}"
        else s"valid:${parts(Contract.EventIdIndex)}:${parts(Contract.EventFingerprintIndex)}"
      val actual = Classify.classify(line) match {
        case Bad(_)                  => "bad"
        case NoFingerprint(id, _)    => s"nofp:$id"
        case Valid(id, fp, _)        => s"valid:$id:$fp"
      }
      assert(actual == expected)
    }
  }
}

/**
 * The golden vectors of test/fixtures/classification/vectors.json, which the TypeScript oracle
 * (classification-vectors.unit.test.ts) must pass too: the two classifiers cannot drift apart.
 */
class ClassificationVectorsSpec extends AnyFunSuite {
  import org.json4s._
  import org.json4s.jackson.JsonMethods

  private implicit val formats: Formats = DefaultFormats

  private val doc = JsonMethods.parse(new String(java.nio.file.Files.readAllBytes(ClassificationVectors.file), "UTF-8"))
  private val vectors = (doc \ "vectors").children

  private def value(v: JValue): String = v match {
    case JString(s) => s
    case o: JObject => (o \ "repeat").extract[String] * (o \ "times").extract[Int]
    case other      => throw new IllegalArgumentException(s"not a vector value: $other")
  }

  private def line(v: JValue): String = v \ "line" match {
    case JNothing =>
      val f = Lines.sample.split("\t", -1).toBuffer
      (v \ "recipe" \ "fields") match {
        case JObject(fs) => fs.foreach { case (i, x) => f(i.toInt) = value(x) }
        case _           => ()
      }
      (v \ "recipe" \ "fieldCount").extractOpt[Int].foreach { n =>
        while (f.size < n) f += ""
        f.remove(n, f.size - n)
      }
      f.mkString("\t")
    case l => value(l)
  }

  private def expected(e: JValue): Classified = (e \ "kind").extract[String] match {
    case "bad"           => Classified.Bad((e \ "reason").extract[String])
    case "noFingerprint" => Classified.NoFingerprint((e \ "eventId").extract[String], (e \ "etlTime").extract[Long])
    case "valid"         => Classified.Valid((e \ "eventId").extract[String], value(e \ "fingerprint"), (e \ "etlTime").extract[Long])
    case other           => throw new IllegalArgumentException(s"unknown kind $other")
  }

  test("there are many") { assert(vectors.size > 50) }

  vectors.foreach { v =>
    val name = (v \ "name").extract[String]
    test(name) {
      val actual = Classify.classify(line(v))
      val want = expected(v \ "expected")
      // The kind first: a multi-megabyte fingerprint in a failure message helps nobody.
      assert(actual.getClass == want.getClass && (actual match { case Classified.Bad(r) => want == Classified.Bad(r); case _ => true }), s"$actual")
      assert(actual == want)
    }
  }
}

object ClassificationVectors {
  /** The vectors live with the TypeScript fixtures; ScalaTest runs in spark/. */
  val file: java.nio.file.Path = java.nio.file.Paths.get("..", "test", "fixtures", "classification", "vectors.json")
}
