package dev.runner.jobs;

/**
 * What a whole job may return of its tests' output: each stream of each test up to
 * {@link Limits#RETURNED_OUTPUT} characters, all of them together up to the total, so a 1000-test job
 * cannot make a huge response.
 */
public final class OutputBudget {
  private int left;

  OutputBudget(int total) {
    left = total;
  }

  /** A job's budget: {@link Limits#RETURNED_PER_JOB}. */
  public static OutputBudget perJob() {
    return new OutputBudget(Limits.RETURNED_PER_JOB);
  }

  /** The part of one stream that is returned; it is spent from the budget. */
  public String cut(String stream) {
    int n = Math.min(stream.length(), Math.min(Limits.RETURNED_OUTPUT, left));
    left -= n;
    return stream.substring(0, n);
  }
}
