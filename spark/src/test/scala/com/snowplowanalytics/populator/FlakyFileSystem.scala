package com.snowplowanalytics.populator

import java.io.{FileNotFoundException, IOException, InputStream}
import java.net.URI
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.{FSDataInputStream, FSInputStream, FileStatus, Path, RawLocalFileSystem}

/**
 * The local file system under the `flaky://` scheme, failing the way object stores do, by file
 * name: `missing` (FileNotFoundException on open, as S3A maps a 404), `denied`
 * (java.nio.file.AccessDeniedException, as S3A maps a 403), `slowdown-once` (a 503 SlowDown
 * part-way through the first read of the file, after the client's own retries, then fine), and
 * `reset-always` (a reset connection on every read). Register it with `FlakyFileSystem.register`.
 */
final class FlakyFileSystem extends RawLocalFileSystem {
  override def getUri: URI = URI.create("flaky:///")
  override def getScheme: String = "flaky"

  // Plain statuses: the local file system's own would load their permissions through a file:// URI.
  override def getFileStatus(f: Path): FileStatus = {
    val file = new java.io.File(f.toUri.getPath)
    if (!file.exists()) throw new FileNotFoundException(s"No such file or directory: $f")
    new FileStatus(file.length, file.isDirectory, 1, 4096L, file.lastModified, makeQualified(f))
  }

  override def listStatus(f: Path): Array[FileStatus] = {
    val file = new java.io.File(f.toUri.getPath)
    if (file.isDirectory) file.listFiles().sortBy(_.getName).map(c => getFileStatus(new Path(f, c.getName)))
    else Array(getFileStatus(f))
  }

  override def open(f: Path, bufferSize: Int): FSDataInputStream = {
    val name = f.getName
    if (name.contains("missing")) throw new FileNotFoundException(s"No such file or directory: $f")
    if (name.contains("denied")) throw new java.nio.file.AccessDeniedException(f.toString, null, "s3a: GET 403 Forbidden")
    val opens = FlakyFileSystem.opens.computeIfAbsent(f.toUri.getPath, _ => new AtomicInteger()).incrementAndGet()
    val in = super.open(f, bufferSize)
    val failAfter =
      if (name.contains("slowdown-once") && opens == 1) Some(new IOException("Status Code: 503; Error Code: SlowDown; Please reduce your request rate."))
      else if (name.contains("reset-always")) Some(new IOException("read failed", new java.net.SocketException("Connection reset")))
      else None
    failAfter.fold(in)(e => new FSDataInputStream(new FailingStream(in, 100, e)))
  }
}

object FlakyFileSystem {
  /** How many times each file (by local path) was opened. */
  val opens = new ConcurrentHashMap[String, AtomicInteger]()

  def register(conf: Configuration): Unit = {
    conf.set("fs.flaky.impl", classOf[FlakyFileSystem].getName)
    conf.setBoolean("fs.flaky.impl.disable.cache", true)
  }

  def uri(local: java.nio.file.Path): String = "flaky://" + local.toAbsolutePath.toUri.getRawPath
}

/** Passes `okBytes` bytes through, then throws `error` on every read. */
private final class FailingStream(in: InputStream, okBytes: Int, error: IOException) extends FSInputStream {
  private var pos = 0L
  override def read(): Int = { if (pos >= okBytes) throw error; val b = in.read(); if (b >= 0) pos += 1; b }
  override def read(b: Array[Byte], off: Int, len: Int): Int = {
    if (pos >= okBytes) throw error
    val n = in.read(b, off, math.min(len, (okBytes - pos).toInt))
    if (n > 0) pos += n
    n
  }
  override def seek(p: Long): Unit = throw new IOException("not seekable")
  override def getPos: Long = pos
  override def seekToNewSource(targetPos: Long): Boolean = false
  override def close(): Unit = in.close()
}
