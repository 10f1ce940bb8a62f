package dev.runner.sandbox;

/** No sandbox could be had in time: the job is refused with 503, never left hanging. */
public final class NoSandboxException extends RuntimeException {
  public NoSandboxException(String message) {
    super(message, null, false, false);
  }
}
