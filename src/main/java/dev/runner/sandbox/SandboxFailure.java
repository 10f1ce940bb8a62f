package dev.runner.sandbox;

/**
 * The sandbox, not the program, failed: the supervisor refused a step (a limit or privilege it could
 * not apply), stopped answering or went away. The job is retried on a fresh sandbox, never judged.
 */
public final class SandboxFailure extends RuntimeException {
  public SandboxFailure(String message) {
    super(message, null, false, false);
  }
}
