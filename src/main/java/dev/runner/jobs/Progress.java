package dev.runner.jobs;

/** Told as a job goes: its program compiled (or did not), and each test as it is judged. */
public interface Progress {
  Progress NONE = new Progress() {
    @Override
    public void compiled(CompileOutcome outcome) {}

    @Override
    public void tested(int index, TestOutcome outcome) {}
  };

  void compiled(CompileOutcome outcome);

  /** {@code index}: the test's place in the job's list. */
  void tested(int index, TestOutcome outcome);

  /** A contest run's case, judged; {@code index}: its place in the input set. */
  default void caseJudged(int index, ContestJobs.CaseResult result) {}
}
