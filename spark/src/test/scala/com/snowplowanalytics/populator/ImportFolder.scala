package com.snowplowanalytics.populator

import java.io.ByteArrayOutputStream
import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path}
import java.util.zip.GZIPInputStream

import scala.jdk.CollectionConverters._

import org.json4s._
import org.json4s.jackson.JsonMethods
import software.amazon.awssdk.services.dynamodb.model.AttributeValue

import com.snowplowanalytics.populator.generated.Contract

/** One import file as ImportTable would read it: its lines, uncompressed and compressed sizes. */
final case class ImportObject(name: String, lines: Vector[String], bytes: Long, compressedBytes: Long)

/** Reads an import folder back independently of the job's writer (JDK gzip, json4s). */
object ImportFolder {

  /** Every file under `folder` (recursively), by path relative to it. */
  def allFiles(folder: Path): Vector[String] =
    if (!Files.exists(folder)) Vector.empty
    else Files.walk(folder).iterator().asScala.filter(Files.isRegularFile(_)).map(p => folder.relativize(p).toString).toVector.sorted

  def gunzip(bytes: Array[Byte]): Array[Byte] = {
    require(bytes.length >= 2 && (bytes(0) & 0xff) == 0x1f && (bytes(1) & 0xff) == 0x8b, "not gzip")
    val in = new GZIPInputStream(new java.io.ByteArrayInputStream(bytes))
    val out = new ByteArrayOutputStream()
    try in.transferTo(out) finally in.close()
    out.toByteArray
  }

  def objects(folder: Path): Vector[ImportObject] =
    allFiles(folder).map { name =>
      val raw = Files.readAllBytes(folder.resolve(name))
      val plain = gunzip(raw)
      val text = new String(plain, StandardCharsets.UTF_8)
      require(text.isEmpty || text.endsWith("\n"), s"$name does not end with a newline")
      ImportObject(name, text.split("\n", -1).dropRight(1).toVector, plain.length.toLong, raw.length.toLong)
    }

  private def attribute(v: JValue): AttributeValue = v match {
    case JObject(List(("S", JString(s)))) => AttributeValue.builder().s(s).build()
    case JObject(List(("N", JString(n)))) => require(n.matches("-?[0-9]+"), n); AttributeValue.builder().n(n).build()
    case other                            => throw new IllegalArgumentException(s"not a DynamoDB JSON S or N value: $other")
  }

  /** One DYNAMODB_JSON line: exactly `{"Item":{...}}` with the four manifest attributes. */
  def item(line: String): Map[String, AttributeValue] = JsonMethods.parse(line) match {
    case JObject(List(("Item", JObject(fields)))) =>
      val m = fields.map { case (k, v) => k -> attribute(v) }.toMap
      require(fields.size == 4 && m.keySet == Set(Contract.AttrEventId, Contract.AttrFingerprint, Contract.AttrEtlTime, Contract.AttrTtl), line)
      require(m(Contract.AttrEventId).s() != null && m(Contract.AttrFingerprint).s() != null, line)
      m
    case other => throw new IllegalArgumentException("not {\"Item\":{...}}: " + other)
  }

  /** Every item of every file, keyed as [[Dynalite.scan]] keys a table; a key twice fails. */
  def items(folder: Path): Map[(String, String), Map[String, AttributeValue]] = {
    val all = objects(folder).flatMap(_.lines.map(item))
    val byKey = all.map(m => (m(Contract.AttrEventId).s(), m(Contract.AttrFingerprint).s()) -> m)
    require(byKey.map(_._1).distinct.size == byKey.size, "a key occurs twice in the import files")
    byKey.toMap
  }

  /** Object names ImportTable gets: part-00000.json.gz onwards, without a gap. */
  def namedInOrder(folder: Path): Boolean =
    allFiles(folder) == allFiles(folder).indices.map(i => f"part-$i%05d.json.gz")
}
