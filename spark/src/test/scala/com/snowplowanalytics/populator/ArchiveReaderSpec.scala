package com.snowplowanalytics.populator

import java.io.IOException
import java.nio.file.Path

import org.apache.hadoop.conf.Configuration
import org.scalatest.funsuite.AnyFunSuite

class ArchiveReaderSpec extends AnyFunSuite {
  import Files2._

  private def conf(): Configuration = {
    val c = new Configuration()
    ArchiveReader.registerCodecs(c)
    c
  }

  private def lines(p: Path, c: Configuration = conf()): List[String] = new ArchiveReader.Lines(p.toString, c).toList

  test(".gzip, .gz and plain files all read as text") {
    val dir = temp("reader")
    val content = Seq("a\tb", "c", "", "d")
    assert(lines(write(dir.resolve("x.gzip"), content, gzip = true)) == content)
    assert(lines(write(dir.resolve("x.gz"), content, gzip = true)) == content)
    assert(lines(write(dir.resolve("part-00000"), content)) == content)
  }

  test("without the registered codec a .gzip file is binary garbage (the trap this guards against)") {
    val dir = temp("reader")
    val f = write(dir.resolve("x.gzip"), Seq("hello"), gzip = true)
    assert(lines(f, new Configuration()) != List("hello"))
  }

  test("CRLF ends a line like LF") {
    val dir = temp("reader")
    val f = dir.resolve("crlf")
    java.nio.file.Files.write(f, "a\r\nb\r\n".getBytes("UTF-8"))
    assert(lines(f) == List("a", "b"))
  }

  /** Lines that compress poorly enough for a cut in the middle of the file to keep some of them. */
  private def noisy(n: Int): Seq[String] = {
    val rnd = new scala.util.Random(7)
    (1 to n).map(i => s"line $i\t" + rnd.alphanumeric.take(80).mkString)
  }

  test("a truncated gzip: the complete lines before the cut are returned and the failure is reported") {
    val dir = temp("reader")
    val content = noisy(5000)
    val f = write(dir.resolve("part-00000.gz"), content, gzip = true)
    truncate(f, java.nio.file.Files.size(f) / 2)
    val expected = completeGzipLines(f)
    assert(expected.nonEmpty && expected.size < content.size && expected == content.take(expected.size))
    val reader = new ArchiveReader.Lines(f.toString, conf())
    assert(reader.toList == expected)
    assert(reader.failure.exists(_.toLowerCase.contains("end of")), reader.failure)
    assert(reader.linesRead == expected.size)
    assert(!reader.hasNext)
  }

  test("a .gz or .gzip file that is not gzip yields no line and reports the failure") {
    val dir = temp("reader")
    for (name <- Seq("plain.gz", "plain.gzip")) {
      val f = write(dir.resolve(name), Seq("not\tgzip", "at all"))
      val reader = new ArchiveReader.Lines(f.toString, conf())
      assert(reader.toList == Nil)
      assert(reader.failure.isDefined && reader.linesRead == 0)
    }
  }

  test("a file gone since it was listed is reported, not thrown; a complete file reports no failure") {
    val dir = temp("reader")
    val gone = new ArchiveReader.Lines(dir.resolve("gone.gz").toString, conf())
    assert(gone.toList == Nil && gone.failure.exists(_.contains("FileNotFoundException")))
    val ok = new ArchiveReader.Lines(write(dir.resolve("ok.gz"), Seq("a", "b"), gzip = true).toString, conf())
    assert(ok.toList == List("a", "b") && ok.failure.isEmpty && ok.linesRead == 2)
  }

  test("from decoding every failure is about the file; from the storage only a missing object or a refusal; never an interruption") {
    // The codec or the line reader failed: the bytes are broken, the same on every attempt.
    assert(ArchiveReader.fileLevel(new java.io.EOFException("Unexpected end of input stream"), fromStorage = false))
    assert(ArchiveReader.fileLevel(new java.util.zip.ZipException("invalid block type"), fromStorage = false))
    assert(ArchiveReader.fileLevel(new IOException("incorrect header check"), fromStorage = false)) // native zlib's words
    assert(ArchiveReader.fileLevel(new RuntimeException("native zStandard library not available"), fromStorage = false))
    assert(ArchiveReader.fileLevel(new ArrayIndexOutOfBoundsException(900000), fromStorage = false)) // bzip2 on garbage
    // The storage failed: only "gone" and "not allowed" are about the file.
    assert(ArchiveReader.fileLevel(new java.io.FileNotFoundException("gone"), fromStorage = true))
    assert(ArchiveReader.fileLevel(new java.nio.file.AccessDeniedException("s3a://b/k"), fromStorage = true))
    assert(ArchiveReader.fileLevel(new IOException("Access Denied (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied)"), fromStorage = true))
    assert(!ArchiveReader.fileLevel(new IOException("Status Code: 503; Error Code: SlowDown"), fromStorage = true))
    assert(!ArchiveReader.fileLevel(new IOException("We encountered an internal error (Status Code: 500)"), fromStorage = true))
    assert(!ArchiveReader.fileLevel(new java.net.SocketTimeoutException("read timed out"), fromStorage = true))
    assert(!ArchiveReader.fileLevel(new IOException("read failed", new java.net.SocketException("Connection reset")), fromStorage = true))
    assert(!ArchiveReader.fileLevel(new IOException("Input/output error"), fromStorage = true))
    // The task is being killed.
    assert(!ArchiveReader.fileLevel(new java.io.InterruptedIOException("interrupted"), fromStorage = false))
    assert(!ArchiveReader.fileLevel(new java.nio.channels.ClosedByInterruptException(), fromStorage = true))
  }

  private def flakyConf(): Configuration = { val c = conf(); FlakyFileSystem.register(c); c }

  test("a storage failure part-way through a file is thrown, not taken for a broken file") {
    val dir = temp("reader")
    for (name <- Seq("part-slowdown-once.gz", "part-reset-always")) {
      val f = write(dir.resolve(name), noisy(2000), gzip = name.endsWith(".gz"))
      val e = intercept[IOException](new ArchiveReader.Lines(FlakyFileSystem.uri(f), flakyConf()).toList)
      assert(e.getMessage.contains("cannot read") && e.getMessage.contains(name), e.getMessage)
    }
    // The next attempt reads the whole file.
    val again = new ArchiveReader.Lines(FlakyFileSystem.uri(dir.resolve("part-slowdown-once.gz")), flakyConf())
    assert(again.toList == noisy(2000) && again.failure.isEmpty)
  }

  test("a missing object or a refused one is set aside as unreadable") {
    val dir = temp("reader")
    for (name <- Seq("part-missing", "part-denied")) {
      val f = write(dir.resolve(name), Seq("a"))
      val reader = new ArchiveReader.Lines(FlakyFileSystem.uri(f), flakyConf())
      assert(reader.toList == Nil && reader.failure.isDefined, name)
    }
  }

  test("a codec that throws a RuntimeException (zstd without native Hadoop) makes the file unreadable, not a failed task") {
    val dir = temp("reader")
    val f = write(dir.resolve("part-00000.zst"), Seq("not really zstd"))
    val reader = new ArchiveReader.Lines(f.toString, conf())
    assert(reader.toList == Nil)
    assert(reader.failure.isDefined, reader.failure)
  }

  test("a line over MaxLineBytes is cut there and flagged; the next line is read as usual") {
    val dir = temp("reader")
    val limit = generated.Contract.MaxLineBytes
    val atLimit = "a" * limit
    val over = "b" * (5 * limit)
    val f = write(dir.resolve("part-00000"), Seq("first", atLimit, over, "last"))
    val reader = new ArchiveReader.Lines(f.toString, conf())
    val got = scala.collection.mutable.ArrayBuffer.empty[(Int, Boolean)]
    while (reader.hasNext) { val l = reader.next(); got += (l.length -> reader.tooLong) }
    assert(got.toList == List(5 -> false, limit -> false, (limit + 1) -> true, 4 -> false))
    // Binary garbage without a line end is one huge line, cut the same way.
    val garbage = dir.resolve("garbage")
    val rnd = new scala.util.Random(3)
    java.nio.file.Files.write(garbage, Array.fill(3 * limit)((32 + rnd.nextInt(95)).toByte))
    val g = new ArchiveReader.Lines(garbage.toString, conf())
    assert(g.next().length == limit + 1 && g.tooLong && !g.hasNext && g.failure.isEmpty)
  }

  test("listing: run folders, ignored entries, markers, zero-byte and hidden files skipped") {
    val dir = temp("archive")
    write(dir.resolve("run=2017-01-01-00-00-00/part-00000"), Seq("x"))
    write(dir.resolve("run=2017-01-01-00-00-00/sub/deeper/part-00001.gz"), Seq("x"), gzip = true)
    touch(dir.resolve("run=2017-01-01-00-00-00/_SUCCESS"))
    touch(dir.resolve("run=2017-01-01-00-00-00/empty-file"))
    write(dir.resolve("run=2017-01-01-00-00-00/.hidden"), Seq("x"))
    write(dir.resolve("run=2017-01-01-00-00-00/_temporary/part-9"), Seq("x"))
    write(dir.resolve("run=2017-13-01-00-00-00/part-00000"), Seq("x"))
    write(dir.resolve("other/part-00000"), Seq("x"))
    write(dir.resolve("README"), Seq("x"))
    val l = ArchiveReader.listRuns(dir.toString, conf())
    assert(l.runs.map(_._1) == Vector("2017-01-01-00-00-00"))
    assert(l.ignored.map(p => p.substring(p.lastIndexOf('/') + 1)).toSet == Set("README", "other", "run=2017-13-01-00-00-00"))
    val files = ArchiveReader.listFiles("2017-01-01-00-00-00", l.runs.head._2, conf())
    assert(files.map(f => f.path.substring(f.path.indexOf("run=") + 24)) == Vector("part-00000", "sub/deeper/part-00001.gz"))
  }

  test("a missing archive is an input error") {
    val e = intercept[InputError](ArchiveReader.listRuns(temp("x").resolve("nope").toString, conf()))
    assert(e.getMessage.contains("does not exist"))
  }

  test("packing 200,000 files into 20,000 groups: every file once, groups within one file of each other") {
    val rnd = new scala.util.Random(5)
    val files = (1 to 200000).map(i => ArchiveFile("r", f"f$i%06d", 1000L + rnd.nextInt(1000)))
    val bins = ArchiveReader.pack(files, 20000)
    assert(bins.size == 20000 && bins.map(_.size).sum == files.size && bins.flatten.map(_.path).toSet.size == files.size)
    val sizes = bins.map(_.map(_.bytes).sum)
    assert(sizes.max - sizes.min <= 2000)
  }

  test("packing balances bytes and keeps every file once") {
    val files = (1 to 10).map(i => ArchiveFile("r", s"f$i", i * 10L))
    val bins = ArchiveReader.pack(files, 3)
    assert(bins.size == 3 && bins.flatten.sortBy(_.path) == files.sortBy(_.path))
    val sizes = bins.map(_.map(_.bytes).sum)
    assert(sizes.max - sizes.min <= 10)
    assert(ArchiveReader.pack(Nil, 4).isEmpty)
  }
}
