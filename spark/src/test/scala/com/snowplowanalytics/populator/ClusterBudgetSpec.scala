package com.snowplowanalytics.populator

import scala.collection.mutable

import org.scalatest.funsuite.AnyFunSuite

/**
 * The write budget on a cluster, simulated on a fake clock: executor JVMs, each with its
 * [[ExecutorBudget]] (one limiter shared by its tasks, a share of the budget by its cores), send
 * as fast as their limiters allow to a table with a token bucket; the driver publishes the
 * executor set when it changes and every executor applies it at its next refresh, as the job does
 * through `executors.json`. Throttles reach the executor that sent the request after the answer
 * time. Executors join and leave part-way.
 */
object ClusterBudgetSpec {
  /** A membership change at `at` seconds: executors joining (id, cores) and leaving (ids). */
  final case class Change(at: Double, join: Seq[(String, Int)] = Nil, leave: Seq[String] = Nil)

  final case class Outcome(accepted: Long, throttled: Long, sent: Long, seconds: Double, overBudgetSeconds: Int) {
    def acceptedPerSecond: Double = accepted / seconds
    def throttledShare: Double = throttled.toDouble / math.max(1L, sent)
  }
}

class ClusterBudgetSpec extends AnyFunSuite {

  import ClusterBudgetSpec._

  private val S = 1000000000L

  /**
   * Runs `seconds` after a `warmUp`; counts requests after the warm-up. `publishDelay`: how long the
   * driver takes to publish a change (its publisher checks every second); `refresh`: how often an
   * executor reads the published set (the job: 2 s), each at its own phase.
   */
  def simulate(
    budget: Double,
    capacity: Double,
    initial: Seq[(String, Int)],
    changes: Seq[Change] = Nil,
    bucketSeconds: Double = 1.0,
    answerMillis: Long = 20,
    seconds: Int = 60,
    warmUp: Int = 5,
    publishDelay: Double = 1.0,
    refresh: Double = 2.0,
    limiterOf: (Double, Clock) => RateLimiter = (r, c) => new RateLimiter(r, c)
  ): Outcome = {
    val clock = new FakeClock()
    val rnd = new scala.util.Random(42)
    final class Exec(val id: String, val cores: Int, set: ExecutorSet) {
      val budgetOf = new ExecutorBudget(budget, id, set, clock, limiterOf)
      var nextRefresh: Long = clock.now + (rnd.nextDouble() * refresh * S).toLong
      val reports = mutable.Queue.empty[Long]
    }
    var published = ExecutorSet(1, initial.toMap)
    val live = mutable.LinkedHashMap(initial.map { case (id, c) => id -> new Exec(id, c, published) }: _*)
    val pending = mutable.Queue(changes.sortBy(_.at): _*)
    var publishAt: Option[(Long, ExecutorSet)] = None
    var bucket = capacity * bucketSeconds
    var bucketAt = 0L
    val start = warmUp * S
    val end = start + seconds * S
    var accepted, throttled, sent = 0L
    val perSecond = mutable.Map.empty[Long, Long].withDefaultValue(0L)

    while (clock.now < end) {
      // Membership changes and the driver's publication of them.
      while (pending.nonEmpty && pending.head.at * S <= clock.now) {
        val c = pending.dequeue()
        c.leave.foreach(live.remove)
        // A newcomer starts from the set published so far: it is not in it yet.
        c.join.foreach { case (id, cores) => live(id) = new Exec(id, cores, published) }
        publishAt = Some((clock.now + (publishDelay * S).toLong, ExecutorSet(published.version + 1, live.map { case (k, e) => k -> e.cores }.toMap)))
      }
      publishAt.foreach { case (at, set) => if (at <= clock.now) { published = set; publishAt = None } }
      live.values.foreach { e =>
        if (e.nextRefresh <= clock.now) { e.budgetOf.update(published); e.nextRefresh += (refresh * S).toLong }
        while (e.reports.nonEmpty && e.reports.head <= clock.now) { e.reports.dequeue(); e.budgetOf.limiter.onThrottle() }
      }
      // Every executor with a permit sends one request now.
      var anySent = false
      live.values.foreach { e =>
        if (e.budgetOf.limiter.tryAcquire() == 0L) {
          anySent = true
          bucket = math.min(capacity * bucketSeconds, bucket + (clock.now - bucketAt).toDouble / S * capacity)
          bucketAt = clock.now
          val counted = clock.now >= start
          if (counted) sent += 1
          if (bucket >= 1) { bucket -= 1; if (counted) { accepted += 1; perSecond(clock.now / S) += 1 } }
          else { e.reports.enqueue(clock.now + answerMillis * 1000000L); if (counted) throttled += 1 }
        }
      }
      if (!anySent) {
        // Move the clock to the next thing that happens.
        val next = (live.values.flatMap(e => Seq(clock.now + e.budgetOf.limiter.peek(), e.nextRefresh) ++ e.reports.headOption) ++
          pending.headOption.map(c => (c.at * S).toLong) ++ publishAt.map(_._1)).filter(_ > clock.now)
        clock.now = if (next.isEmpty) clock.now + 1000000L else next.min
      }
    }
    // Seconds in which more than the budget reached the table (5 % of slack for a second's edges).
    val over = perSecond.count { case (sec, n) => sec >= warmUp && n > budget * 1.05 }
    Outcome(accepted, throttled, sent, seconds.toDouble, over)
  }

  private def executors(n: Int, cores: Int = 4, prefix: String = "e"): Seq[(String, Int)] = (1 to n).map(i => s"$prefix$i" -> cores)

  private def check(name: String, budget: Double, capacity: Double, o: Outcome): Unit = {
    val target = math.min(budget, capacity)
    info(f"$name: ${o.acceptedPerSecond}%.1f accepted/s = ${100 * o.acceptedPerSecond / target}%.1f %% of $target%.0f, ${100 * o.throttledShare}%.2f %% throttled")
    assert(o.acceptedPerSecond >= 0.95 * target, f"$name: ${o.acceptedPerSecond}%.1f/s accepted, under 95 %% of $target")
    assert(o.throttledShare <= 0.05, f"$name: ${100 * o.throttledShare}%.2f %% of the requests throttled")
    assert(o.overBudgetSeconds == 0, s"$name: over the budget in ${o.overBudgetSeconds} second(s)")
  }

  for (n <- Seq(1, 4, 32)) {
    test(s"$n executor(s), a table throttling below the budget: the capacity is used, few requests throttled") {
      check(s"$n executors, capacity 600 < budget 1000", 1000, 600, simulate(1000, 600, executors(n)))
      check(s"$n executors, capacity 300 < budget 1000, tight bucket", 1000, 300, simulate(1000, 300, executors(n), bucketSeconds = 0.2))
      check(s"$n executors, capacity 600, answers after 200 ms", 1000, 600, simulate(1000, 600, executors(n), answerMillis = 200))
      check(s"$n executors, capacity 900, tight bucket", 1000, 900, simulate(1000, 900, executors(n), bucketSeconds = 0.1))
    }

    test(s"$n executor(s), a table above the budget: the budget is held, never exceeded") {
      check(s"$n executors, capacity 5000 > budget 1000", 1000, 5000, simulate(1000, 5000, executors(n)))
    }
  }

  test("executors joining and leaving: the shares follow, the budget holds, the capacity is used") {
    val grow = Seq(Change(15, join = executors(2, prefix = "j")), Change(35, leave = Seq("e1")))
    check("4 executors, +2 at 15 s, -1 at 35 s, capacity 600", 1000, 600, simulate(1000, 600, executors(4), grow))
    check("4 executors, +2 at 15 s, -1 at 35 s, capacity 5000", 1000, 5000, simulate(1000, 5000, executors(4), grow))
    val churn = Seq(
      Change(15, leave = (1 to 8).map(i => s"e$i")),
      Change(30, join = executors(8, prefix = "j")),
      Change(45, leave = Seq("e9", "e10"), join = executors(2, cores = 8, prefix = "k"))
    )
    check("32 executors, -8 at 15 s, +8 at 30 s, -2 +2 bigger at 45 s, capacity 600", 1000, 600, simulate(1000, 600, executors(32), churn))
    check("32 executors, -8 at 15 s, +8 at 30 s, -2 +2 bigger at 45 s, capacity 5000", 1000, 5000, simulate(1000, 5000, executors(32), churn))
    val lone = Seq(Change(20, leave = Seq("e2", "e3", "e4")), Change(40, join = executors(1, prefix = "j")))
    check("4 executors down to 1 at 20 s, +1 at 40 s, capacity 5000", 1000, 5000, simulate(1000, 5000, executors(4), lone))
  }

  test("shares: cores over all cores; shrinking or others leaving at once, a newcomer's effect after one more refresh") {
    val set = ExecutorSet(3, Map("1" -> 4, "2" -> 4, "3" -> 8))
    assert(ExecutorBudget.share("3", set) == 0.5 && ExecutorBudget.share("1", set) == 0.25 && ExecutorBudget.share("4", set) == 0.0)
    val b = new ExecutorBudget(1000, "1", set, new FakeClock())
    assert(b.limiter.maxRate == 250)
    val left = ExecutorSet(4, Map("1" -> 4, "2" -> 4))
    assert(b.update(left) && b.limiter.maxRate == 500, "others left: every share only grows, at once")
    assert(!b.update(ExecutorSet(2, Map("1" -> 4))), "an older set is ignored")
    assert(b.update(ExecutorSet(5, Map("1" -> 4, "2" -> 4, "5" -> 8))) && b.limiter.maxRate == 250, "a smaller share at once")
    // "5" left and "6" joined: "1" grows, but "6" too, and "2" may still be on its old share.
    val swapped = ExecutorSet(6, Map("1" -> 4, "2" -> 4, "6" -> 4))
    assert(!b.update(swapped) && b.limiter.maxRate == 250, "a larger share because of a newcomer waits one refresh")
    assert(b.update(swapped) && math.abs(b.limiter.maxRate - 1000.0 / 3) < 1e-9)
    val newcomer = new ExecutorBudget(1000, "9", set, new FakeClock())
    assert(newcomer.share == 0.0 && newcomer.limiter.maxRate < 1e-3)
    val listed = ExecutorSet(6, set.cores + ("9" -> 4))
    assert(!newcomer.update(listed) && newcomer.update(listed) && newcomer.share == 0.2)
  }

  test("the published set survives a round trip through JSON") {
    val set = ExecutorSet(7, Map("driver" -> 2, "12" -> 4))
    assert(ExecutorSet.parse(set.toJson).contains(set))
    assert(ExecutorSet.parse("{}").isEmpty && ExecutorSet.parse("not json").isEmpty)
  }
}
