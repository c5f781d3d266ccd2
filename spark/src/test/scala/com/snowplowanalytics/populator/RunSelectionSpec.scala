package com.snowplowanalytics.populator

import org.scalatest.funsuite.AnyFunSuite

class RunSelectionSpec extends AnyFunSuite {

  test("run ids are yyyy-MM-dd-HH-mm-ss and real times") {
    assert(RunSelection.parseRunId("2017-01-26-00-01-25").contains("2017-01-26-00-01-25"))
    Seq("2017-02-30-00-00-00", "2017-01-26-24-00-00", "2017-01-26", "2017-1-26-00-01-25", "2017-01-26-00-01-25x", "")
      .foreach(s => assert(RunSelection.parseRunId(s).isEmpty, s))
  }

  test("only run=<valid id> folder names are runs") {
    assert(RunSelection.runIdOfFolder("run=2017-01-26-00-01-25").contains("2017-01-26-00-01-25"))
    Seq("run=2017-13-01-00-00-00", "2017-01-26-00-01-25", "run=", "_SUCCESS", "runs=2017-01-26-00-01-25")
      .foreach(s => assert(RunSelection.runIdOfFolder(s).isEmpty, s))
  }

  test("--since/--until take a day or a full run id; anything else names both formats") {
    assert(RunSelection.parseBound("2017-01-26") == Right("2017-01-26-00-00-00"))
    assert(RunSelection.parseBound("2017-01-26-10-00-00") == Right("2017-01-26-10-00-00"))
    val bad = RunSelection.parseBound("2017-01-26 10:00")
    assert(bad.left.toOption.exists(e => e.contains("yyyy-MM-dd") && e.contains("yyyy-MM-dd-HH-mm-ss")), bad)
    assert(RunSelection.parseBound("2017-02-30").isLeft)
  }

  test("since is inclusive, until exclusive") {
    val since = Some("2017-01-02-00-00-00")
    val until = Some("2017-01-03-00-00-00")
    assert(!RunSelection.selected("2017-01-01-23-59-59", since, until))
    assert(RunSelection.selected("2017-01-02-00-00-00", since, until))
    assert(RunSelection.selected("2017-01-02-23-59-59", since, until))
    assert(!RunSelection.selected("2017-01-03-00-00-00", since, until))
    assert(RunSelection.selected("1999-01-01-00-00-00", None, None))
  }
}
