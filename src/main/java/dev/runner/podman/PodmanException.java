package dev.runner.podman;

/** A libpod API call answered with an unexpected status. */
public final class PodmanException extends RuntimeException {
  public PodmanException(String message) {
    super(message);
  }
}
