package com.snowplowanalytics.populator

import java.io.{ByteArrayInputStream, FileNotFoundException, IOException}
import java.lang.ref.WeakReference
import java.net.URI
import java.nio.charset.StandardCharsets
import java.util.concurrent.ConcurrentLinkedQueue

import scala.jdk.CollectionConverters._

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.{FSDataInputStream, FSDataOutputStream, FSInputStream, FileStatus, FileSystem, Path}
import org.apache.hadoop.fs.permission.FsPermission
import org.apache.hadoop.util.Progressable

/**
 * A read-only file system of generated files under `synthetic:///`: any path ending in `-<n>` is
 * a file of one valid enriched line with event id n. Nothing on disk, so a test can hand a task
 * 100,000 files. It keeps a weak reference to every stream it opened: how many are still
 * reachable after a GC tells whether the reader holds on to files it has finished.
 */
final class SyntheticFileSystem extends FileSystem {
  override def getUri: URI = URI.create("synthetic:///")
  override def getScheme: String = "synthetic"

  override def open(f: Path, bufferSize: Int): FSDataInputStream = {
    val n = SyntheticFileSystem.number(f).getOrElse(throw new FileNotFoundException(f.toString))
    val stream = new SyntheticStream(SyntheticFileSystem.content(n))
    SyntheticFileSystem.opened.add(new WeakReference(stream))
    new FSDataInputStream(stream)
  }

  override def getFileStatus(f: Path): FileStatus =
    SyntheticFileSystem.number(f) match {
      case Some(n) => new FileStatus(SyntheticFileSystem.content(n).length.toLong, false, 1, 4096L, 0L, makeQualified(f))
      case None    => new FileStatus(0L, true, 1, 4096L, 0L, makeQualified(f))
    }

  override def listStatus(f: Path): Array[FileStatus] = Array.empty
  override def create(f: Path, p: FsPermission, o: Boolean, b: Int, r: Short, s: Long, pr: Progressable): FSDataOutputStream =
    throw new IOException("read-only")
  override def append(f: Path, b: Int, p: Progressable): FSDataOutputStream = throw new IOException("read-only")
  override def rename(src: Path, dst: Path): Boolean = false
  override def delete(f: Path, recursive: Boolean): Boolean = false
  override def setWorkingDirectory(d: Path): Unit = ()
  override def getWorkingDirectory: Path = new Path("synthetic:///")
  override def mkdirs(f: Path, p: FsPermission): Boolean = false
}

object SyntheticFileSystem {
  private val opened = new ConcurrentLinkedQueue[WeakReference[SyntheticStream]]()

  def register(conf: Configuration): Unit = {
    conf.set("fs.synthetic.impl", classOf[SyntheticFileSystem].getName)
    conf.setBoolean("fs.synthetic.impl.disable.cache", true)
  }

  def number(p: Path): Option[Int] = {
    val name = p.getName
    val i = name.lastIndexOf('-')
    if (i < 0) None else scala.util.Try(name.substring(i + 1).toInt).toOption
  }

  def content(n: Int): Array[Byte] =
    (Lines.enriched(Lines.uuid(n), "2017-01-01 00:00:00.000", s"fp$n") + "\n").getBytes(StandardCharsets.UTF_8)

  def reset(): Unit = opened.clear()

  def openedCount: Int = opened.size

  /** Streams opened and still strongly reachable, after asking for a full GC. */
  def reachable(): Int = {
    (1 to 3).foreach { _ => System.gc(); Thread.sleep(50) }
    opened.asScala.count(_.get() != null)
  }
}

private final class SyntheticStream(bytes: Array[Byte]) extends FSInputStream {
  private val in = new ByteArrayInputStream(bytes)
  private var pos = 0L
  override def read(): Int = { val b = in.read(); if (b >= 0) pos += 1; b }
  override def read(b: Array[Byte], off: Int, len: Int): Int = { val n = in.read(b, off, len); if (n > 0) pos += n; n }
  override def seek(p: Long): Unit = throw new IOException("not seekable")
  override def getPos: Long = pos
  override def seekToNewSource(targetPos: Long): Boolean = false
}
