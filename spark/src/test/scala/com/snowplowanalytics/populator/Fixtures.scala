package com.snowplowanalytics.populator

import java.io.{File, FileOutputStream, OutputStream}
import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path}
import java.time.{Instant, LocalDateTime, ZoneOffset}
import java.time.format.DateTimeFormatter
import java.util.zip.GZIPOutputStream

import scala.io.Source

import com.snowplowanalytics.populator.generated.Contract

/** Enriched lines built from the real sample line, with the three columns the job reads replaced. */
object Lines {
  lazy val sample: String = {
    val s = Source.fromInputStream(getClass.getResourceAsStream("/sample-enriched-event.tsv"), "UTF-8")
    try s.getLines().next() finally s.close()
  }

  def enriched(eventId: String, etlTstamp: String, fingerprint: String): String = {
    val f = sample.split("\t", -1)
    f(Contract.EtlTstampIndex) = etlTstamp
    f(Contract.EventIdIndex) = eventId
    f(Contract.EventFingerprintIndex) = fingerprint
    f.mkString("\t")
  }

  /** Epoch seconds of a `yyyy-MM-dd HH:mm:ss` UTC time, computed independently of the job's parser. */
  def epoch(s: String): Long =
    LocalDateTime.parse(s, DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")).toInstant(ZoneOffset.UTC).getEpochSecond

  def uuid(n: Int): String = f"00000000-0000-4000-8000-$n%012d"
}

/** Writes archive files the way the enriched archive holds them. */
object Files2 {
  def temp(prefix: String): Path = Files.createTempDirectory(prefix)

  def write(file: Path, lines: Seq[String], gzip: Boolean = false): Path = {
    Files.createDirectories(file.getParent)
    val raw: OutputStream = new FileOutputStream(file.toFile)
    val out = if (gzip) new GZIPOutputStream(raw) else raw
    try lines.foreach(l => out.write((l + "\n").getBytes(StandardCharsets.UTF_8)))
    finally out.close()
    file
  }

  /** Cuts a file to its first `bytes` bytes (a transfer that stopped half way). */
  def truncate(file: Path, bytes: Long): Path = {
    val ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)
    try ch.truncate(bytes) finally ch.close()
    file
  }

  /**
   * The complete lines a gzip file yields before its data ends, computed with the JDK's own
   * inflater (not Hadoop's codec): everything that decompresses, up to the last newline.
   */
  def completeGzipLines(file: Path): Seq[String] = {
    val in = new java.util.zip.GZIPInputStream(Files.newInputStream(file))
    val out = new java.io.ByteArrayOutputStream()
    val buf = new Array[Byte](8192)
    try {
      var n = in.read(buf)
      while (n >= 0) { out.write(buf, 0, n); n = in.read(buf) }
    } catch { case _: java.io.EOFException => () }
    finally in.close()
    val text = new String(out.toByteArray, StandardCharsets.UTF_8)
    text.substring(0, text.lastIndexOf('\n') + 1).split("\n", -1).dropRight(1).toSeq
  }

  def touch(file: Path): Path = { Files.createDirectories(file.getParent); Files.write(file, Array.emptyByteArray) }

  def read(file: File): String = new String(Files.readAllBytes(file.toPath), StandardCharsets.UTF_8)

  def now(): Long = Instant.now().getEpochSecond
}
