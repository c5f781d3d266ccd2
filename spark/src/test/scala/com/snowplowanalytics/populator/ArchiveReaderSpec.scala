package com.snowplowanalytics.populator

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

  test("packing balances bytes and keeps every file once") {
    val files = (1 to 10).map(i => ArchiveFile("r", s"f$i", i * 10L))
    val bins = ArchiveReader.pack(files, 3)
    assert(bins.size == 3 && bins.flatten.sortBy(_.path) == files.sortBy(_.path))
    val sizes = bins.map(_.map(_.bytes).sum)
    assert(sizes.max - sizes.min <= 10)
    assert(ArchiveReader.pack(Nil, 4).isEmpty)
  }
}
