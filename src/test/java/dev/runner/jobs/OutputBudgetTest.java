package dev.runner.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class OutputBudgetTest {
  @Test
  void eachStreamIsCutOnItsOwnAndAllTogetherToTheTotal() {
    OutputBudget budget = new OutputBudget(Limits.RETURNED_OUTPUT + 10);
    String big = "x".repeat(Limits.RETURNED_OUTPUT + 5);
    assertEquals(Limits.RETURNED_OUTPUT, budget.cut(big).length());
    assertEquals("short", budget.cut("short"));
    assertEquals(5, budget.cut(big).length());
    assertEquals("", budget.cut("more"));
  }

  @Test
  void chunksMergedReturnNoMoreOutputThanOneJob() {
    // Each chunk spent a whole job's budget on its own worker: merged, the later one's output is cut.
    String full = "y".repeat(Limits.RETURNED_OUTPUT);
    int filling = Limits.RETURNED_PER_JOB / Limits.RETURNED_OUTPUT;
    JobResult chunk = new JobResult(IntStream.range(0, filling).mapToObj(i -> new TestOutcome("t" + i, Verdict.WA, 0, 0, 1, 1, 0, 1,
        full, false, "", false, null, null)).toList(), null, null);
    JobResult merged = JobResult.merged(List.of(chunk, chunk));
    assertEquals(2 * filling, merged.tests().size());
    List<TestOutcome> first = merged.tests().subList(0, filling), second = merged.tests().subList(filling, 2 * filling);
    first.forEach(t -> {
      assertEquals(full, t.stdout());
      assertFalse(t.stdoutTruncated());
    });
    second.forEach(t -> {
      assertEquals("", t.stdout());
      assertTrue(t.stdoutTruncated());
    });
    // A result within the budget comes back as it was.
    assertEquals(chunk, JobResult.merged(List.of(chunk)));
  }
}
