package com.snowplowanalytics.populator

import org.scalatest.funsuite.AnyFunSuite

/** A clock tests move by hand; sleeping advances it. */
final class FakeClock(var now: Long = 0L) extends Clock {
  def nanoTime(): Long = now
  def sleepNanos(nanos: Long): Unit = now += nanos
  def advanceMillis(ms: Long): Unit = now += ms * 1000000L
}

class RateLimiterSpec extends AnyFunSuite {

  private def permitsIn(l: RateLimiter, clock: FakeClock, seconds: Double): Int = {
    val end = clock.now + (seconds * 1e9).toLong
    var n = 0
    while (clock.now < end) { l.acquire(); n += 1 }
    n
  }

  test("paces to its rate") {
    val clock = new FakeClock()
    val l = new RateLimiter(100, clock)
    val n = permitsIn(l, clock, 10)
    assert(n >= 995 && n <= 1011, n)
  }

  test("bursts are bounded by burstSeconds") {
    val clock = new FakeClock()
    val l = new RateLimiter(100, clock, burstSeconds = 0.1)
    clock.advanceMillis(60000)
    var immediate = 0
    while (l.tryAcquire() == 0L) immediate += 1
    assert(immediate == 10)
    assert(l.tryAcquire() == 10000000L) // one permit every 10 ms
  }

  test("a throttle halves the rate once per cooldown, and it climbs back additively") {
    val clock = new FakeClock()
    val l = new RateLimiter(100, clock, increasePerSecond = 0.1)
    l.onThrottle()
    assert(l.rate == 50.0)
    l.onThrottle() // same overload reported by another in-flight request: ignored
    assert(l.rate == 50.0)
    clock.advanceMillis(1000)
    assert(math.abs(l.rate - 60.0) < 1e-6)
    l.onThrottle()
    assert(math.abs(l.rate - 30.0) < 1e-6)
    clock.advanceMillis(20000)
    assert(l.rate == 100.0)
  }

  test("the rate never falls below its floor") {
    val clock = new FakeClock()
    val l = new RateLimiter(10, clock)
    (1 to 50).foreach { _ => l.onThrottle(); clock.advanceMillis(600) }
    assert(l.rate > 0.0)
    val n = permitsIn(l, clock, 5)
    assert(n >= 1)
  }
}
