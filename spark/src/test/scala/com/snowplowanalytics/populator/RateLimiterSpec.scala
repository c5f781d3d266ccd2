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

  private def near(a: Double, b: Double) = math.abs(a - b) < 1e-6

  test("a throttle slows to x0.7 once per cooldown, and the pace is back where throttling began within 2 s") {
    val clock = new FakeClock()
    val l = new RateLimiter(100, clock)
    assert(l.onThrottle())
    assert(near(l.rate, 70.0))
    assert(!l.onThrottle()) // same overload reported by another in-flight request: ignored
    assert(near(l.rate, 70.0))
    clock.advanceMillis(1000)
    assert(near(l.rate, 85.0)) // 15 % of the target per second
    clock.advanceMillis(1000)
    assert(near(l.rate, 100.0)) // halving and +10 %/s of maxRate would be at 70
  }

  test("a throttle while recovering lowers the target; above it the pace only probes slowly") {
    val clock = new FakeClock()
    val l = new RateLimiter(100, clock)
    l.onThrottle()
    clock.advanceMillis(1200)
    assert(near(l.rate, 88.0))
    assert(l.onThrottle()) // throttled again at 88: the table's capacity is below 100
    assert(near(l.rate, 61.6))
    clock.advanceMillis(2000)
    assert(near(l.rate, 88.0)) // back at the new target in 2 s ...
    clock.advanceMillis(1000)
    assert(math.abs(l.rate - 88.0 * math.exp(0.03)) < 1e-6) // ... then +3 %/s, compounding
    clock.advanceMillis(20000)
    assert(l.rate == 100.0)
  }

  /**
   * A table with a token bucket of `burstSeconds` of `capacity` WCU/s that answers after
   * `answerMillis`: the limiter (budget 100/s) sends as fast as it lets, every throttle is
   * reported when its answer arrives. Returns the accepted share of the capacity and the
   * throttled share of the requests over `seconds` after a 5 s warm-up.
   */
  private def againstTable(l: RateLimiter, clock: FakeClock, capacity: Double, burstSeconds: Double, answerMillis: Long, seconds: Int): (Double, Double) = {
    val reports = scala.collection.mutable.Queue.empty[Long]
    var bucket = capacity * burstSeconds
    var bucketAt = clock.now
    val warmUpEnd = clock.now + 5000000000L
    val end = warmUpEnd + seconds * 1000000000L
    var accepted, throttled, sent = 0L
    def deliver(): Unit = while (reports.nonEmpty && reports.head <= clock.now) { reports.dequeue(); l.onThrottle() }
    while (clock.now < end) {
      var wait = l.tryAcquire()
      while (wait > 0) { clock.sleepNanos(wait); deliver(); wait = l.tryAcquire() }
      bucket = math.min(capacity * burstSeconds, bucket + (clock.now - bucketAt) / 1e9 * capacity)
      bucketAt = clock.now
      val counted = clock.now >= warmUpEnd
      if (counted) sent += 1
      if (bucket >= 1) { bucket -= 1; if (counted) accepted += 1 }
      else { reports.enqueue(clock.now + answerMillis * 1000000L); if (counted) throttled += 1 }
      deliver()
    }
    (accepted / (capacity * seconds), throttled.toDouble / sent)
  }

  test("under a budget above the table's capacity the pace stays near the capacity, with few throttles") {
    // A tight bucket (0.1 s of capacity) leaves no slack for the dips: halving and climbing back at
    // 10 % of the budget per second held 85-89 % of these capacities.
    for ((capacity, answerMillis) <- Seq((60.0, 20L), (90.0, 20L), (60.0, 200L), (30.0, 20L))) {
      val clock = new FakeClock()
      val (share, throttledShare) = againstTable(new RateLimiter(100, clock), clock, capacity, 0.1, answerMillis, 60)
      assert(share >= 0.95, s"capacity $capacity, answers after $answerMillis ms: $share of it")
      assert(throttledShare <= 0.1, s"capacity $capacity, answers after $answerMillis ms: $throttledShare of the requests throttled")
    }
  }

  test("the rate never falls below its floor") {
    val clock = new FakeClock()
    val l = new RateLimiter(10, clock)
    (1 to 50).foreach { _ => l.onThrottle(); clock.advanceMillis(600) }
    assert(l.rate > 0.0)
    val n = permitsIn(l, clock, 5)
    assert(n >= 1)
  }

  test("a new ceiling scales what AIMD learnt: the pace and the target where throttling began") {
    val clock = new FakeClock()
    val l = new RateLimiter(100, clock)
    l.onThrottle() // at 70, target 100
    l.setMaxRate(50) // half the share: another executor joined
    assert(l.maxRate == 50 && near(l.rate, 35.0))
    clock.advanceMillis(2000)
    assert(near(l.rate, 50.0)) // back at the scaled target
    l.setMaxRate(200)
    assert(near(l.rate, 200.0) || l.rate <= 200.0)
    val n = permitsIn(l, clock, 10)
    assert(n >= 1900 && n <= 2050, n)
  }
}
