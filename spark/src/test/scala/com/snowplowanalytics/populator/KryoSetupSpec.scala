package com.snowplowanalytics.populator

import org.apache.spark.SparkConf
import org.apache.spark.serializer.KryoSerializer
import org.scalatest.funsuite.AnyFunSuite

class KryoSetupSpec extends AnyFunSuite {
  private def kryo(registered: Boolean, required: Boolean = false) = {
    val conf = new SparkConf(false).set("spark.serializer", classOf[KryoSerializer].getName).set("spark.kryo.registrationRequired", required.toString)
    new KryoSerializer(if (registered) KryoSetup.configure(conf) else conf).newInstance()
  }

  private val key = KeyOf("1799a90f-f570-4414-b91a-b0db8f39cc2e", "bed9a39a0917874d2ff072033a6413d9")
  private val values = Seq(
    Occurrences(1480236400L, Set(3)),
    Occurrences(-62135596800L, Set(0, 1, 7, 300, 70000)),
    Occurrences(Long.MaxValue, Set.empty)
  )

  test("every shuffled and collected type survives a round trip") {
    val k = kryo(registered = true)
    val all: Seq[Any] = Seq(key, RunOf(0), RunOf(123456)) ++ values ++ Seq(
      RunStats(5, Vector(1, 0, 2, 0, 1), 1, 1, 100L, Vector(UnreadableFile("f", "EOF", 3))),
      WriteCounts(1, 2, 3, 4, 5, 6, 7),
      ManifestItem("e", "f", 1L, 2L)
    )
    for (x <- all) assert(k.deserialize[Any](k.serialize[Any](x)) == x, x)
  }

  test("the import stage's task results are registered (registration required, as ClusterJobSpec runs)") {
    val k = kryo(registered = true, required = true)
    val part = ImportPart(3, Vector(ImportFile("s3://b/_import.temporary/x/part-00003-00000.attempt-7.json.gz", 10, 1800, 700)), 2)
    assert(k.deserialize[Any](k.serialize[Any](part)) == part)
    val parts = Array(part, ImportPart(4, Vector.empty, 0))
    assert(k.deserialize[Array[ImportPart]](k.serialize[Any](parts)).toSeq == parts.toSeq)
  }

  test("keys of every shape come back exactly: hex in either case as bytes, anything else as text") {
    val k = kryo(registered = true)
    val ids = Seq(key.eventId, key.eventId.toUpperCase, "1799A90f-f570-4414-b91a-b0db8f39cc2e", "not-a-uuid", "", "00000000-0000-4000-8000-000000000001")
    val fps = Seq(key.fingerprint, key.fingerprint.toUpperCase, "aB", "abc", "", "fp1", "é" * 10, "0" * 1024, "ab\ufffdcd", "\ud83d\ude00")
    for (id <- ids; fp <- fps) {
      val x = KeyOf(id, fp)
      assert(k.deserialize[KeyOf](k.serialize[Any](x)) == x, x)
    }
    val rnd = new scala.util.Random(11)
    (1 to 2000).foreach { _ =>
      val x = KeyOf(java.util.UUID.randomUUID().toString, rnd.alphanumeric.take(rnd.nextInt(40)).mkString)
      assert(k.deserialize[KeyOf](k.serialize[Any](x)) == x, x)
    }
  }

  test("a registered shuffle record is small: no class names") {
    def bytes(registered: Boolean): Int = {
      val k = kryo(registered)
      k.serialize[Any](key: ShuffleKey).limit() + k.serialize[Any](values.head: ShuffleValue).limit()
    }
    val after = bytes(registered = true)
    val before = bytes(registered = false)
    info(s"a key and its value: $before bytes unregistered, $after registered")
    // A class id each (2-byte varints: Spark registers many classes first), a flag, 16 + 1 + 16
    // bytes of key, 5 + 2 bytes of value.
    assert(after <= 4 + 1 + 16 + 1 + 16 + 8, after)
    assert(before > after + 60, before)
  }

  test("configure keeps a registrator already set, and is idempotent") {
    val c = KryoSetup.configure(KryoSetup.configure(new SparkConf(false).set("spark.kryo.registrator", "x.Other")))
    assert(c.get("spark.kryo.registrator") == s"x.Other,${classOf[PopulatorKryoRegistrator].getName}")
  }

  test("the broadcast Hadoop configuration arrives with its settings (Kryo would drop its transient value)") {
    val hadoop = new org.apache.hadoop.conf.Configuration(false)
    hadoop.set("fs.s3a.endpoint", "http://127.0.0.1:9000")
    ArchiveReader.registerCodecs(hadoop)
    val k = kryo(registered = true, required = true)
    val back = k.deserialize[SerializableConfiguration](k.serialize[Any](new SerializableConfiguration(hadoop)))
    assert(back.value != null)
    assert(back.value.get("fs.s3a.endpoint") == "http://127.0.0.1:9000")
    assert(back.value.get("io.compression.codecs").contains(classOf[DotGzipCodec].getName))
  }

  test("everything the job sends between JVMs is registered: broadcasts, file groups, task results") {
    val k = kryo(registered = true, required = true)
    val record = PartitionRecord(3, done = false, Some(key), Vector((0L, 5L), (7L, 9L)), Outcomes(1, 2, 3, 4))
    val crossing: Seq[Any] = Seq(
      Array(Vector(ArchiveFile("2017-01-01-00-00-00", "file:/a/part-0", 10L)), Vector.empty[ArchiveFile]),
      Map(0 -> 1480236400L, 1 -> 1480236500L),
      Map(3 -> record),
      (5L, Vector((0, RunStats(5, Vector(1, 0, 2, 0, 1), 1, 1, 100L, Vector(UnreadableFile("f", "EOF", 3)))))),
      Array(PartitionOutcome(WriteCounts(1, 2, 3, 4, 5, 6, 7), Outcomes(1, 0, 0, 0), Outcomes(), LookupCounts(1, 2, 3, 4, 5)))
    )
    for (x <- crossing) {
      val back = k.deserialize[Any](k.serialize[Any](x))
      x match {
        case a: Array[_] => assert(back.asInstanceOf[Array[_]].toSeq == a.toSeq)
        case _           => assert(back == x, x)
      }
    }
  }
}
