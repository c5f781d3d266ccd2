package com.snowplowanalytics.populator

import java.time.{DateTimeException, LocalDate}

import com.snowplowanalytics.populator.generated.Contract

/** What one enriched line is to the manifest (DESIGN 3.1). */
sealed trait Classified extends Product with Serializable

object Classified {

  /** Not a usable enriched event; `reason` is one of Contract.BadRowReasons. */
  final case class Bad(reason: String) extends Classified

  /** A valid event the shredder would give a random fingerprint: never written. */
  final case class NoFingerprint(eventId: String, etlTime: Long) extends Classified

  /** A valid event with its manifest key and its own etl_tstamp in epoch seconds. */
  final case class Valid(eventId: String, fingerprint: String, etlTime: Long) extends Classified
}

/** Pure parsing and classification of enriched TSV lines. */
object Classify {
  import Classified._

  private val MaxIndex = math.max(Contract.EtlTstampIndex, math.max(Contract.EventIdIndex, Contract.EventFingerprintIndex))
  require(MaxIndex < Contract.EnrichedColumnCount)

  /** The reasons a line can be bad for, in the order [[classify]] checks them. */
  val LineReasons: Vector[String] = {
    import Contract.BadRowReasons._
    Vector(lineTooLong, fieldCount, eventId, etlTstamp, fingerprintTooLong)
  }

  /** UTF-8 length of a string without encoding it (an unpaired surrogate counts as U+FFFD's 3 bytes). */
  def utf8Length(s: String): Int = {
    var n = 0
    var i = 0
    while (i < s.length) {
      val c = s.charAt(i)
      if (c < 0x80) n += 1
      else if (c < 0x800) n += 2
      else if (Character.isHighSurrogate(c) && i + 1 < s.length && Character.isLowSurrogate(s.charAt(i + 1))) { n += 4; i += 1 }
      else n += 3
      i += 1
    }
    n
  }

  /**
   * Classifies one line (without its line end), checks in the order of [[LineReasons]]. Field
   * semantics are those of `line.split("\t", -1)` (trailing empty fields kept), but only the three
   * fields used are materialized: this is the parse hot path. A reader that cut a line at
   * MaxLineBytes says so itself ([[ArchiveReader.Lines.tooLong]]); the length check here is for
   * lines that arrive whole.
   */
  def classify(line: String): Classified =
    // A string of n UTF-16 units has at most 3n UTF-8 bytes: enriched lines (~1-2 KB) skip the count.
    if (line.length.toLong * 3 > Contract.MaxLineBytes && utf8Length(line) > Contract.MaxLineBytes) Bad(Contract.BadRowReasons.lineTooLong)
    else classifyFields(line)

  private def classifyFields(line: String): Classified = {
    val starts = new Array[Int](Contract.EnrichedColumnCount + 1)
    var fields = 1
    var i = line.indexOf('\t')
    while (i >= 0 && fields <= Contract.EnrichedColumnCount) {
      starts(fields) = i + 1
      fields += 1
      i = line.indexOf('\t', i + 1)
    }
    if (i >= 0 || fields != Contract.EnrichedColumnCount) Bad(Contract.BadRowReasons.fieldCount)
    else {
      def field(n: Int): String = {
        val end = if (n + 1 < Contract.EnrichedColumnCount) starts(n + 1) - 1 else line.length
        line.substring(starts(n), end)
      }
      val eventId = field(Contract.EventIdIndex)
      if (!isUuid(eventId)) Bad(Contract.BadRowReasons.eventId)
      else
        parseEtlTstamp(field(Contract.EtlTstampIndex)) match {
          case None => Bad(Contract.BadRowReasons.etlTstamp)
          case Some(etlTime) =>
            val fingerprint = field(Contract.EventFingerprintIndex)
            if (fingerprint.isEmpty) NoFingerprint(eventId, etlTime)
            // DynamoDB refuses a longer sort key with a ValidationException, which would fail the
            // task. The event id is a UUID (far below the partition key's 2048 bytes) and etlTime
            // and ttl are small integers: nothing else of a line can make its item invalid.
            else if (fingerprint.length > Contract.MaxSortKeyBytes / 3 && utf8Length(fingerprint) > Contract.MaxSortKeyBytes)
              Bad(Contract.BadRowReasons.fingerprintTooLong)
            else Valid(eventId, fingerprint, etlTime)
        }
    }
  }

  /** 8-4-4-4-12 hex digits, either case (java.util.UUID.fromString accepts far less strict forms). */
  def isUuid(s: String): Boolean =
    s.length == 36 && {
      var ok = true
      var i = 0
      while (ok && i < 36) {
        val c = s.charAt(i)
        ok =
          if (i == 8 || i == 13 || i == 18 || i == 23) c == '-'
          else (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
        i += 1
      }
      ok
    }

  /**
   * `yyyy-MM-dd HH:mm:ss.SSS` (UTC) to epoch seconds, truncated. Also accepts 0 to 9 fractional
   * digits (`.0`, `.29`, none) in case a writer trimmed them; rejects anything else.
   */
  def parseEtlTstamp(s: String): Option[Long] = {
    def digits(from: Int, to: Int): Int = {
      var v = 0
      var i = from
      while (i < to) {
        val c = s.charAt(i)
        if (c < '0' || c > '9') return -1
        v = v * 10 + (c - '0')
        i += 1
      }
      v
    }
    val fractionOk =
      s.length == 19 || (s.length >= 21 && s.length <= 29 && s.charAt(19) == '.' && digits(20, s.length) >= 0)
    if (!fractionOk || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != ' ' || s.charAt(13) != ':' ||
        s.charAt(16) != ':') None
    else {
      val (y, mo, d, h, mi, sec) = (digits(0, 4), digits(5, 7), digits(8, 10), digits(11, 13), digits(14, 16), digits(17, 19))
      // Year 0 does not exist in the format's calendar (`yyyy` counts years of the era, from 1).
      if (y < 1 || mo < 0 || d < 0 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) None
      else
        try Some(LocalDate.of(y, mo, d).toEpochDay * 86400L + h * 3600L + mi * 60L + sec)
        catch { case _: DateTimeException => None }
    }
  }
}
