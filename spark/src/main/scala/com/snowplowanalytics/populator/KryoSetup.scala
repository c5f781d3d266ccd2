package com.snowplowanalytics.populator

import com.esotericsoftware.kryo.{Kryo, Serializer}
import com.esotericsoftware.kryo.io.{Input, Output}
import com.esotericsoftware.kryo.serializers.JavaSerializer
import org.apache.spark.SparkConf
import org.apache.spark.serializer.KryoRegistrator

/**
 * Kryo registrations for what the job shuffles and collects. Unregistered, Kryo writes every
 * record's class names in full (`com.snowplowanalytics.populator.KeyOf`, `...Occurrences`, the
 * Scala set's class) next to a 36-character event id and a 32-character fingerprint; registered,
 * a class is a one-byte id, and the hot pair (KeyOf, Occurrences) has hand-written serializers:
 * the key's hex as bytes, a variable-length etl time and run list (bench/README.md, "Shuffle").
 */
final class PopulatorKryoRegistrator extends KryoRegistrator {
  override def registerClasses(kryo: Kryo): Unit = {
    kryo.register(classOf[KeyOf], new KeyOfSerializer)
    kryo.register(classOf[RunOf], new RunOfSerializer)
    kryo.register(classOf[Occurrences], new OccurrencesSerializer)
    kryo.register(classOf[RunStats])
    kryo.register(classOf[UnreadableFile])
    kryo.register(classOf[ArchiveFile])
    kryo.register(classOf[ManifestItem])
    kryo.register(classOf[WriteCounts])
    // The broadcast Hadoop configuration travels only through Java serialization (its `value` is
    // transient, written by writeObject): Kryo's own field serializer would deliver it empty, and
    // every read task on another JVM would fail. Spark registers its own SerializableConfiguration so.
    kryo.register(classOf[SerializableConfiguration], new JavaSerializer())
    // What crosses JVMs besides the shuffle: the read stage's file groups (parallelize).
    kryo.register(classOf[Array[Vector[_]]])
    // The write stage's task results and the resumed run's records (a broadcast).
    kryo.register(classOf[Outcomes])
    kryo.register(classOf[LookupCounts])
    kryo.register(classOf[PartitionRecord])
    kryo.register(classOf[PartitionOutcome])
    kryo.register(classOf[Array[PartitionOutcome]])
    // The import stage's task results.
    kryo.register(classOf[ImportPart])
    kryo.register(classOf[ImportFile])
    kryo.register(classOf[Array[ImportPart]])
    ()
  }
}

/**
 * A key as bytes where it can be: an event id in the canonical 8-4-4-4-12 form (one case) as its
 * 16 bytes, a fingerprint of hex digits (one case, even length) as the bytes they spell; anything
 * else as the string. Hex is 4 bits of information per character, which lz4 (the shuffle's
 * codec) cannot squeeze: as text the key's 68 hex characters stay ~68 bytes on the wire, as bytes
 * 34. One flag byte says which forms follow, so every string comes back exactly (case included).
 */
private final class KeyOfSerializer extends Serializer[KeyOf] {
  import KeyOfSerializer._

  override def write(kryo: Kryo, out: Output, k: KeyOf): Unit = {
    val idCase = uuidCase(k.eventId)
    val fpCase = hexCase(k.fingerprint)
    out.writeByte(idCase | (fpCase << 2))
    if (idCase == NotHex) out.writeString(k.eventId)
    else {
      var i = 0
      while (i < 36) {
        if (i == 8 || i == 13 || i == 18 || i == 23) i += 1
        out.writeByte((nibble(k.eventId.charAt(i)) << 4) | nibble(k.eventId.charAt(i + 1)))
        i += 2
      }
    }
    if (fpCase == NotHex) out.writeString(k.fingerprint)
    else {
      out.writeVarInt(k.fingerprint.length / 2, true)
      var i = 0
      while (i < k.fingerprint.length) { out.writeByte((nibble(k.fingerprint.charAt(i)) << 4) | nibble(k.fingerprint.charAt(i + 1))); i += 2 }
    }
  }

  override def read(kryo: Kryo, in: Input, c: Class[KeyOf]): KeyOf = {
    val flags = in.readByte() & 0xff
    val idCase = flags & 3
    val fpCase = (flags >> 2) & 3
    val eventId =
      if (idCase == NotHex) in.readString()
      else {
        val sb = new java.lang.StringBuilder(36)
        (0 until 16).foreach { b =>
          if (b == 4 || b == 6 || b == 8 || b == 10) sb.append('-')
          hex(in.readByte() & 0xff, idCase == Upper, sb)
        }
        sb.toString
      }
    val fingerprint =
      if (fpCase == NotHex) in.readString()
      else {
        val n = in.readVarInt(true)
        val sb = new java.lang.StringBuilder(2 * n)
        (0 until n).foreach(_ => hex(in.readByte() & 0xff, fpCase == Upper, sb))
        sb.toString
      }
    KeyOf(eventId, fingerprint)
  }
}

private object KeyOfSerializer {
  val NotHex = 0
  val Lower = 1
  val Upper = 2

  def nibble(c: Char): Int = if (c <= '9') c - '0' else if (c <= 'F') c - 'A' + 10 else c - 'a' + 10

  def hex(b: Int, upper: Boolean, sb: java.lang.StringBuilder): Unit = {
    val digits = if (upper) "0123456789ABCDEF" else "0123456789abcdef"
    sb.append(digits.charAt(b >> 4)).append(digits.charAt(b & 15))
    ()
  }

  /** Lower or Upper when every letter of `s` from `from` is hex of that case (digits fit both), else NotHex. */
  private def caseOf(s: String, skip: Int => Boolean): Int = {
    var lower, upper = false
    var i = 0
    var ok = true
    while (ok && i < s.length) {
      if (!skip(i)) {
        val c = s.charAt(i)
        if (c >= 'a' && c <= 'f') lower = true
        else if (c >= 'A' && c <= 'F') upper = true
        else if (c < '0' || c > '9') ok = false
      }
      i += 1
    }
    if (!ok || (lower && upper)) NotHex else if (upper) Upper else Lower
  }

  def uuidCase(s: String): Int =
    if (s.length != 36 || s.charAt(8) != '-' || s.charAt(13) != '-' || s.charAt(18) != '-' || s.charAt(23) != '-') NotHex
    else caseOf(s, i => i == 8 || i == 13 || i == 18 || i == 23)

  def hexCase(s: String): Int = if (s.isEmpty || s.length % 2 != 0) NotHex else caseOf(s, _ => false)
}

private final class RunOfSerializer extends Serializer[RunOf] {
  override def write(kryo: Kryo, out: Output, r: RunOf): Unit = { out.writeVarInt(r.run, true); () }
  override def read(kryo: Kryo, in: Input, c: Class[RunOf]): RunOf = RunOf(in.readVarInt(true))
}

/** The earliest etl time (zig-zag varint: it may be negative) and the runs, sorted, as deltas. */
private final class OccurrencesSerializer extends Serializer[Occurrences] {
  override def write(kryo: Kryo, out: Output, o: Occurrences): Unit = {
    out.writeVarLong(o.minEventEtl, false)
    out.writeVarInt(o.runs.size, true)
    // Almost every key is in one run: no array, no sort for it.
    if (o.runs.size == 1) out.writeVarInt(o.runs.head, true)
    else {
      var previous = 0
      o.runs.toArray.sorted.foreach { r => out.writeVarInt(r - previous, true); previous = r }
    }
  }
  override def read(kryo: Kryo, in: Input, c: Class[Occurrences]): Occurrences = {
    val etl = in.readVarLong(false)
    val n = in.readVarInt(true)
    var previous = 0
    val runs = Set.newBuilder[Int]
    (1 to n).foreach { _ => previous += in.readVarInt(true); runs += previous }
    Occurrences(etl, runs.result())
  }
}

object KryoSetup {

  /** Kryo with the job's registrator (kept alongside any registrator already configured). */
  def configure(conf: SparkConf): SparkConf = {
    if (!conf.contains("spark.serializer")) conf.set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
    val name = classOf[PopulatorKryoRegistrator].getName
    val current = conf.getOption("spark.kryo.registrator").map(_.split(",").map(_.trim).filter(_.nonEmpty).toList).getOrElse(Nil)
    if (!current.contains(name)) conf.set("spark.kryo.registrator", (current :+ name).mkString(","))
    conf
  }
}
