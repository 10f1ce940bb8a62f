package dev.runner.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class OutputBudgetTest {
  @Test
  void eachStreamIsCutOnItsOwnAndAllTogetherToTheTotal() {
    JobRunner.OutputBudget budget = new JobRunner.OutputBudget(Limits.RETURNED_OUTPUT + 10);
    String big = "x".repeat(Limits.RETURNED_OUTPUT + 5);
    assertEquals(Limits.RETURNED_OUTPUT, budget.cut(big).length());
    assertEquals("short", budget.cut("short"));
    assertEquals(5, budget.cut(big).length());
    assertEquals("", budget.cut("more"));
  }
}
