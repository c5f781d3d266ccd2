package com.snowplowanalytics.populator

import java.io.{FileNotFoundException, IOException, ObjectInputStream, ObjectOutputStream, OutputStream}
import java.nio.charset.StandardCharsets

import scala.util.control.NonFatal

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.{FileSystem, Path, UnsupportedFileSystemException}
import org.apache.hadoop.io.Text
import org.apache.hadoop.io.compress.{CodecPool, CompressionCodecFactory, Decompressor, GzipCodec}
import org.apache.hadoop.util.LineReader

import com.snowplowanalytics.populator.generated.Contract

/**
 * Gzip under the pre-R83 `.gzip` extension. Hadoop picks a codec by extension and has none for
 * `.gzip`: without this, such files are read as plain text and yield binary garbage, not an error.
 */
class DotGzipCodec extends GzipCodec {
  override def getDefaultExtension: String = ".gzip"
}

/** One file to read, with the run it belongs to. */
final case class ArchiveFile(runId: String, path: String, bytes: Long)

/** A file that could not be read to its end: `linesRead` complete lines before `error` were kept. */
final case class UnreadableFile(path: String, error: String, linesRead: Long)

/** The top of the archive: valid run folders and what was ignored. */
final case class ArchiveListing(runs: Vector[(String, String)], ignored: Vector[String])

/** A Hadoop Configuration that can travel to executors. */
final class SerializableConfiguration(@transient var value: Configuration) extends Serializable {
  private def writeObject(out: ObjectOutputStream): Unit = { out.defaultWriteObject(); value.write(out) }
  private def readObject(in: ObjectInputStream): Unit = {
    in.defaultReadObject()
    value = new Configuration(false)
    value.readFields(in)
  }
}

/** Listing through the Hadoop FileSystem API (file:// and s3a:// alike) and line reading. */
object ArchiveReader {

  /** Adds the `.gzip` codec to `io.compression.codecs` (service-loaded codecs stay registered). */
  def registerCodecs(conf: Configuration): Unit = {
    val name = classOf[DotGzipCodec].getName
    val current = Option(conf.get("io.compression.codecs")).map(_.trim).filter(_.nonEmpty)
    if (!current.exists(_.split(",").map(_.trim).contains(name)))
      conf.set("io.compression.codecs", current.fold(name)(c => s"$c,$name"))
  }

  /** True for names Spark/Hadoop treat as hidden: markers (`_SUCCESS`), temporaries, `.crc` (the contract's rule). */
  def hidden(name: String): Boolean = Contract.HiddenNamePrefixes.exists(p => name.startsWith(p))

  /** The FileSystem of a path; a scheme nobody serves is the user's to fix (e.g. s3:// off EMR). */
  def fileSystem(path: Path, conf: Configuration): FileSystem =
    try path.getFileSystem(conf)
    catch {
      case e: UnsupportedFileSystemException =>
        throw new InputError(
          s"no Hadoop FileSystem for $path (${e.getMessage}): on EMR use s3://; on local Spark use s3a:// with hadoop-aws on the classpath, or a local path",
          e
        )
    }

  /** Lists the archive's top level; throws [[InputError]] if the archive is missing or a file. */
  def listRuns(archive: String, conf: Configuration): ArchiveListing = {
    val root = new Path(archive)
    val fs = fileSystem(root, conf)
    val status =
      try fs.getFileStatus(root)
      catch {
        case _: FileNotFoundException =>
          throw new InputError(s"archive $archive does not exist: pass the enriched archive folder that holds run=... folders")
      }
    if (!status.isDirectory)
      throw new InputError(s"archive $archive is a file: pass the enriched archive folder that holds run=... folders")
    val runs = Vector.newBuilder[(String, String)]
    val ignored = Vector.newBuilder[String]
    fs.listStatus(root).sortBy(_.getPath.getName).foreach { st =>
      RunSelection.runIdOfFolder(st.getPath.getName) match {
        case Some(id) if st.isDirectory => runs += (id -> st.getPath.toString)
        case _                          => ignored += st.getPath.toString
      }
    }
    ArchiveListing(runs.result(), ignored.result())
  }

  /**
   * Every readable file under a run folder, recursively: zero-byte files and hidden names (files or
   * folders below the run starting with `_` or `.`) are skipped.
   */
  def listFiles(runId: String, runPath: String, conf: Configuration): Vector[ArchiveFile] = {
    val root = new Path(runPath)
    val fs = root.getFileSystem(conf)
    val rootDepth = fs.makeQualified(root).depth()
    val it = fs.listFiles(root, true)
    val out = Vector.newBuilder[ArchiveFile]
    while (it.hasNext) {
      val st = it.next()
      var p = st.getPath
      var visible = true
      while (p != null && p.depth() > rootDepth) { if (hidden(p.getName)) visible = false; p = p.getParent }
      if (visible && st.getLen > 0) out += ArchiveFile(runId, st.getPath.toString, st.getLen)
    }
    out.result().sortBy(_.path)
  }

  /**
   * Greedy largest-first packing of files into `n` groups of similar byte size: each file goes to
   * the lightest group so far, found with a heap, so O(files log files) (a scan of every group for
   * every file was O(files x groups): 10^9 steps for 100,000 files in 10,000 groups).
   */
  def pack(files: Seq[ArchiveFile], n: Int): Vector[Vector[ArchiveFile]] = {
    val bins = Array.fill(math.max(1, math.min(n, files.size)))(Vector.newBuilder[ArchiveFile])
    // (bytes so far, group index): ties go to the lower index, as the scan did.
    val lightest = scala.collection.mutable.PriorityQueue.empty[(Long, Int)](Ordering[(Long, Int)].reverse)
    bins.indices.foreach(i => lightest.enqueue((0L, i)))
    files.sortBy(f => (-f.bytes, f.path)).foreach { f =>
      val (bytes, i) = lightest.dequeue()
      bins(i) += f
      lightest.enqueue((bytes + f.bytes, i))
    }
    bins.iterator.map(_.result()).filter(_.nonEmpty).toVector
  }

  private def causes(e: Throwable): Iterator[Throwable] = Iterator.iterate(e)(_.getCause).takeWhile(_ != null).take(20)

  // How S3 clients (S3A's SDK v1, EMRFS) word a missing object or a refusal when they do not map
  // it to FileNotFoundException / AccessDeniedException themselves.
  private val MissingOrDeniedMessage = """(?s).*(Status Code: 40[34]\b|Error Code: (AccessDenied|NoSuchKey)\b|\b40[34] (Forbidden|Not Found)\b).*""".r

  /** The storage says the object is gone or may not be read: retrying the task cannot help. */
  def missingOrDenied(e: Throwable): Boolean = causes(e).exists {
    case _: FileNotFoundException | _: java.nio.file.NoSuchFileException | _: java.nio.file.AccessDeniedException => true
    case x => Option(x.getMessage).exists(m => MissingOrDeniedMessage.pattern.matcher(m).matches())
  }

  private def interrupted(e: Throwable): Boolean =
    Thread.currentThread().isInterrupted || causes(e).exists {
      case _: java.io.InterruptedIOException | _: java.nio.channels.ClosedByInterruptException | _: InterruptedException => true
      case _ => false
    }

  /**
   * True when a failure to read one file is about that file, which is then set aside (an
   * unreadable file) while the job goes on; false when the task must fail so Spark retries it.
   * `fromStorage` says whether the file system failed (opening the file, or a read from its raw
   * stream) rather than what decodes its bytes (the codec, the line reader).
   *  - From the storage, only a missing object and a refusal are about the file. Everything else
   *    (S3's 500 and 503 SlowDown after the client's own retries, a reset connection, a timeout, a
   *    disk error) may pass on the next attempt, and taking it for a broken file would leave the
   *    rest of the file silently unwritten.
   *  - From decoding, the bytes themselves are broken (a truncated or corrupt gzip, a `.gz` that is
   *    not gzip, a codec that throws a RuntimeException, e.g. no native zstd): the same bytes
   *    fail the same way on every attempt.
   *  - An interruption (the task being killed) is never about the file.
   */
  def fileLevel(e: Throwable, fromStorage: Boolean): Boolean =
    !interrupted(e) && (!fromStorage || missingOrDenied(e))

  /** The message a failure is reported with: its class when it says more than the message alone. */
  private def describe(e: Throwable): String = {
    val name = e.getClass.getSimpleName
    Option(e.getMessage).map(_.trim).filter(_.nonEmpty).fold(name)(m => s"$name: $m")
  }

  /** The file system's stream, remembering whether it failed (see [[fileLevel]]). */
  private final class TrackedStream(in: java.io.InputStream) extends java.io.FilterInputStream(in) {
    @volatile var failed = false
    private def track[A](f: => A): A =
      try f
      catch { case e: Throwable => failed = true; throw e }
    override def read(): Int = track(super.read())
    override def read(b: Array[Byte], off: Int, len: Int): Int = track(in.read(b, off, len))
    override def skip(n: Long): Long = track(super.skip(n))
    override def available(): Int = track(super.available())
  }

  /**
   * A file's lines, decompressed by extension (`.gz`, `.gzip`, ...); closes itself when exhausted.
   * A line over MaxLineBytes is cut there (never more of it in memory) and flagged [[tooLong]]; the
   * rest of it is skipped. When the file cannot be opened or read to its end for a reason about
   * the file ([[fileLevel]]), the iterator ends after the last complete line read and `failure`
   * says why; any other failure is thrown, and fails the task.
   */
  final class Lines(path: String, conf: Configuration, codecs: CompressionCodecFactory) extends Iterator[String] with java.io.Closeable {
    def this(path: String, conf: Configuration) = this(path, conf, new CompressionCodecFactory(conf))

    private var raw: TrackedStream = null
    private var decompressor: Decompressor = null
    private var in: java.io.InputStream = null
    private var reader: LineReader = null
    private val text = new Text()
    private var closed = false
    private var ready = false
    private var read = 0L
    private var failed: Option[String] = None
    private var broken = false
    private var cut = false

    try {
      val p = new Path(path)
      val codec = Option(codecs.getCodec(p))
      val opened = p.getFileSystem(conf).open(p)
      raw = new TrackedStream(opened)
      decompressor = codec.map(CodecPool.getDecompressor).orNull
      in = codec.fold[java.io.InputStream](raw)(c => c.createInputStream(raw, decompressor))
      // Hadoop's reader, as Spark's text source uses: LF, CR and CRLF all end a line.
      reader = new LineReader(in, conf)
    } catch { case NonFatal(e) => fail(e) }

    /** Why the file could not be read to its end, once the iterator has ended; None if it was. */
    def failure: Option[String] = failed

    /** Lines returned so far (with a failure: the complete lines before it). */
    def linesRead: Long = read

    /** The line last returned was longer than MaxLineBytes: what [[next]] gave is its first MaxLineBytes + 1 bytes. */
    def tooLong: Boolean = cut

    private def fail(e: Throwable): Unit = {
      // Opening the file system's stream failed, or a read from it did: the storage's failure.
      val fromStorage = raw == null || raw.failed
      val fileProblem = fileLevel(e, fromStorage)
      // A decompressor that failed mid-stream is not handed back to the pool for another file.
      broken = true
      // The stream is broken already: a second error while closing it would hide the first.
      try close()
      catch { case NonFatal(_) => () }
      if (!fileProblem) throw new IOException(s"cannot read $path: ${describe(e)}", e)
      failed = Some(describe(e))
    }

    def hasNext: Boolean = {
      if (!ready && !closed) {
        val n =
          try reader.readLine(text, Contract.MaxLineBytes + 1, Int.MaxValue)
          catch { case NonFatal(e) => fail(e); 0 }
        if (n > 0) ready = true else close()
      }
      ready
    }

    def next(): String = {
      if (!hasNext) throw new NoSuchElementException(path)
      ready = false
      read += 1
      cut = text.getLength > Contract.MaxLineBytes
      text.toString
    }

    def close(): Unit = if (!closed) {
      closed = true
      try if (in != null) in.close()
      finally {
        if (decompressor != null && !broken) CodecPool.returnDecompressor(decompressor)
        if (raw != null) raw.close()
      }
    }
  }

  /** Lazily opened `<output>/bad-rows/part-NNNNN.json` for one read partition; a retry rewrites it. */
  final class BadRowSink(output: String, partition: Int, conf: Configuration) {
    private var out: OutputStream = null

    def write(json: String): Unit = {
      if (out == null) {
        val p = new Path(new Path(output, Contract.Output.badRows), f"part-$partition%05d.json")
        val fs = p.getFileSystem(conf)
        fs.setWriteChecksum(false)
        out = fs.create(p, true)
      }
      out.write(json.getBytes(StandardCharsets.UTF_8))
      out.write('\n')
    }

    def close(): Unit = if (out != null) { out.close(); out = null }
  }
}
