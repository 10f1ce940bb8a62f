package dev.runner.sandbox;

/** The job's client went away: it is dropped from the line, or its running test is aborted. */
public final class JobCancelledException extends RuntimeException {
  public JobCancelledException() {
    super("the job was cancelled: its client went away", null, false, false);
  }
}
